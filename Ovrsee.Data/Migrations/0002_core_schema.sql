CREATE TABLE workspaces (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- WebSocket URL of the workspace's external Aloha voice agent; NULL means no agent, so
    -- callers go straight to voicemail.
    agent_stream_url text CHECK (agent_stream_url IS NULL OR agent_stream_url ~ '^wss?://'),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_members (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

CREATE TABLE user_phone_numbers (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id           uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id                uuid,
    phone_number           text NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    twilio_phone_sid       text UNIQUE CHECK (twilio_phone_sid ~ '^PN[0-9a-fA-F]{32}$'),
    friendly_name          text CHECK (length(friendly_name) <= 64),
    is_active              boolean NOT NULL DEFAULT true,
    voicemail_enabled      boolean NOT NULL DEFAULT true,
    webhooks_configured_at timestamptz,
    released_at            timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- A number rings in exactly one place: at most one active row per E.164 number, across all
-- workspaces. Released rows stay for call history.
CREATE UNIQUE INDEX user_phone_numbers_active_number_key
    ON user_phone_numbers (phone_number) WHERE is_active;
CREATE INDEX user_phone_numbers_workspace_idx ON user_phone_numbers (workspace_id);

CREATE TABLE call_logs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL only for calls to a number no workspace owns: kept for operators, seen by no tenant.
    workspace_id      uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    phone_number_id   uuid REFERENCES user_phone_numbers (id),
    call_sid          text NOT NULL UNIQUE CHECK (call_sid ~ '^CA[0-9a-zA-Z]{32}$'),
    account_sid       text,
    from_number       text,
    to_number         text,
    direction         text,
    status            text NOT NULL,
    -- Order of the lifecycle so a late, earlier callback never overwrites a later state.
    status_rank       smallint NOT NULL,
    status_sequence   integer,
    started_at        timestamptz,
    answered_at       timestamptz,
    ended_at          timestamptz,
    duration_seconds  integer CHECK (duration_seconds >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination for the calls API: newest first within a workspace.
CREATE INDEX call_logs_workspace_created_idx ON call_logs (workspace_id, created_at DESC, id DESC);

-- The per-call timeline: every Twilio callback received, once.
CREATE TABLE call_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_log_id     uuid NOT NULL REFERENCES call_logs (id) ON DELETE CASCADE,
    workspace_id    uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    call_sid        text NOT NULL,
    kind            text NOT NULL,
    status          text,
    sequence_number integer,
    occurred_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- What makes a redelivery of the same callback a duplicate (see the webhook handlers).
    dedupe_key      text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (call_sid, kind, dedupe_key)
);
CREATE INDEX call_events_call_log_idx ON call_events (call_log_id, occurred_at, id);

CREATE TABLE voicemail_messages (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id               uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    call_log_id                uuid NOT NULL REFERENCES call_logs (id) ON DELETE CASCADE,
    call_sid                   text NOT NULL,
    recording_sid              text NOT NULL UNIQUE CHECK (recording_sid ~ '^RE[0-9a-zA-Z]{32}$'),
    recording_url              text,
    recording_status           text NOT NULL,
    recording_duration_seconds integer CHECK (recording_duration_seconds >= 0),
    storage_path               text,
    transcript                 text,
    transcript_status          text NOT NULL DEFAULT 'pending'
        CHECK (transcript_status IN ('pending', 'processing', 'completed', 'failed', 'not_applicable')),
    transcript_error           text,
    summary                    jsonb,
    summary_status             text NOT NULL DEFAULT 'pending'
        CHECK (summary_status IN ('pending', 'processing', 'completed', 'failed', 'not_applicable')),
    summary_error              text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voicemail_messages_call_log_idx ON voicemail_messages (call_log_id);

-- Durable background work (voicemail download, transcription, summary).
CREATE TABLE jobs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id     uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    kind             text NOT NULL,
    -- The same piece of work is enqueued once however often its trigger is replayed.
    dedupe_key       text NOT NULL,
    payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
    state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    run_after        timestamptz NOT NULL DEFAULT now(),
    lease_expires_at timestamptz,
    locked_by        text,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    UNIQUE (kind, dedupe_key)
);
CREATE INDEX jobs_ready_idx ON jobs (run_after) WHERE state IN ('queued', 'running');
