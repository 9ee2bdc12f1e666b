-- Signed outbound webhooks (#19). A workspace registers endpoints; every domain event of the
-- workspace that an enabled endpoint subscribes to becomes one delivery row for that endpoint
-- (UNIQUE (endpoint_id, event_id)), which the sender retries until it is delivered or dead. Each
-- HTTP attempt is logged. The event's id is the Standard Webhooks `webhook-id`, the same on every
-- attempt and on a manual resend, so receivers de-duplicate by it.
CREATE TABLE webhook_endpoints (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id               uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                        text NOT NULL CHECK (length(url) <= 2048),
    -- Empty: every event type.
    event_types                text[] NOT NULL DEFAULT '{}',
    enabled                    boolean NOT NULL DEFAULT true,
    disabled_reason            text,
    disabled_at                timestamptz,
    -- whsec_<base64>: the signing secret. During a rotation's grace period the previous secret
    -- signs too (a second signature in webhook-signature), so receivers switch without downtime.
    secret                     text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    previous_secret            text CHECK (previous_secret LIKE 'whsec\_%'),
    previous_secret_expires_at timestamptz,
    -- The failure streak that auto-disables an endpoint; reset by any 2xx.
    consecutive_failures       integer NOT NULL DEFAULT 0,
    failing_since              timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Orders the delivery log (newest first) and is its paging cursor.
    log_position    bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL REFERENCES domain_events (id) ON DELETE CASCADE,
    event_tx_id     xid8 NOT NULL,
    event_position  bigint NOT NULL,
    event_type      text NOT NULL,
    call_log_id     uuid,
    call_seq        integer,
    -- pending: not tried yet (or re-sent); failed: tried, a retry is scheduled at next_attempt_at;
    -- delivered: a 2xx came back; dead: retried for the whole retry window without success.
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempt_count   integer NOT NULL DEFAULT 0,
    -- Also the claim's lease: a sender moves it past its request timeout while it sends, so a
    -- crashed replica's delivery is tried again by another after that.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- Start of the retry window (creation, or the last manual resend).
    queued_at       timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status_code integer,
    last_latency_ms integer,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);
-- The sender's claim: due deliveries still to send.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
-- Per-call order: is an earlier event of this call still undelivered to this endpoint?
CREATE INDEX webhook_deliveries_call_order_idx ON webhook_deliveries (endpoint_id, call_log_id, call_seq)
    WHERE status IN ('pending', 'failed') AND call_log_id IS NOT NULL;
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, log_position DESC);
-- The same question for events the fan-out has not reached yet.
CREATE INDEX domain_events_call_order_idx ON domain_events (call_log_id, call_seq) WHERE call_log_id IS NOT NULL;

CREATE TABLE webhook_delivery_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    -- NULL when no HTTP answer came (timeout, refused connection, address not allowed).
    status_code  integer,
    latency_ms   integer NOT NULL,
    error        text
);
CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY system_paths ON webhook_endpoints TO ovrsee_system USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO ovrsee_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO ovrsee_system;

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY system_paths ON webhook_deliveries TO ovrsee_system USING (true) WITH CHECK (true);
-- Tenants read the log and re-queue (resend); only the system paths create deliveries.
GRANT SELECT, UPDATE ON webhook_deliveries TO ovrsee_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO ovrsee_system;

ALTER TABLE webhook_delivery_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_delivery_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_delivery_attempts TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY system_paths ON webhook_delivery_attempts TO ovrsee_system USING (true) WITH CHECK (true);
GRANT SELECT ON webhook_delivery_attempts TO ovrsee_tenant;
GRANT SELECT, INSERT, DELETE ON webhook_delivery_attempts TO ovrsee_system;

-- Where the fan-out has got to in the outbox: one row, locked (FOR UPDATE) by the replica that
-- fans out a batch and advanced in the same transaction as the deliveries it inserted, so every
-- event gets exactly one delivery per endpoint however many replicas run and restart. It starts at
-- the outbox's head: events written before webhooks existed had no endpoint to go to.
CREATE TABLE webhook_dispatch_cursor (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tx_id      xid8 NOT NULL,
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_dispatch_cursor (tx_id, position)
SELECT coalesce(max(tx_id), '0'::xid8), coalesce(max(position), 0)
FROM domain_events
WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot());
GRANT SELECT, UPDATE ON webhook_dispatch_cursor TO ovrsee_system;
