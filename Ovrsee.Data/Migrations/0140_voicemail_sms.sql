-- Voicemail notification by SMS (#19), opt-in per number: voicemail_sms_to is the phone that gets
-- a text when someone leaves a voicemail (the owner's); NULL means off. The text is sent from the
-- number itself, through Twilio's Messages API.
ALTER TABLE user_phone_numbers
    ADD COLUMN voicemail_sms_to text CHECK (voicemail_sms_to ~ '^\+[1-9][0-9]{1,14}$');

-- One row per notified voicemail. It is written ('sending') and committed before Twilio is asked,
-- so a retry after a lost answer (a crash, a timeout, a 5xx after Twilio queued the message) first
-- looks for the message Twilio may already hold instead of sending a second one.
CREATE TABLE voicemail_sms (
    voicemail_id uuid PRIMARY KEY REFERENCES voicemail_messages (id) ON DELETE CASCADE,
    workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    to_number    text NOT NULL,
    from_number  text NOT NULL,
    body         text NOT NULL,
    state        text NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    message_sid  text CHECK (message_sid ~ '^(SM|MM)[0-9a-fA-F]{32}$'),
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);

ALTER TABLE voicemail_sms ENABLE ROW LEVEL SECURITY;
ALTER TABLE voicemail_sms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON voicemail_sms TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY system_paths ON voicemail_sms TO ovrsee_system USING (true) WITH CHECK (true);
GRANT SELECT ON voicemail_sms TO ovrsee_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON voicemail_sms TO ovrsee_system;
