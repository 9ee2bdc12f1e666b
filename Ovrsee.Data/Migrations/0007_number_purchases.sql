-- Every purchase of a Twilio number, recorded BEFORE Twilio is asked. Twilio charges for a number
-- the moment it says "bought"; if we crash before inserting into user_phone_numbers, the pending
-- row here is the trace that lets the next attempt (same Idempotency-Key) or the Provisioning
-- service's reconciler find the number on the account and record it, instead of buying it again.
--
-- The row is also the Idempotency-Key record: one per (workspace, key), with a hash of the
-- request body (the same key with another body is refused) and the response to replay.
-- While a purchase is in flight its process holds this row's lock (SELECT … FOR UPDATE), so a
-- duplicate sees it as in progress, and a crash releases it at once for recovery.
CREATE TABLE number_purchases (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id          uuid NOT NULL,
    -- NULL when the caller sent no Idempotency-Key: the purchase is still recorded and recoverable.
    idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash     text NOT NULL,
    phone_number     text NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    friendly_name    text CHECK (length(friendly_name) <= 64),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'completed', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    phone_number_id  uuid REFERENCES user_phone_numbers (id),
    twilio_phone_sid text CHECK (twilio_phone_sid ~ '^PN[0-9a-fA-F]{32}$'),
    -- What the caller got, replayed verbatim for the same key: 201 with the number, or Twilio's refusal.
    response_status  smallint,
    response_body    jsonb,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    UNIQUE (workspace_id, idempotency_key),
    CHECK (state = 'pending' OR (response_status IS NOT NULL AND response_body IS NOT NULL)),
    CHECK (state <> 'completed' OR phone_number_id IS NOT NULL)
);

-- One purchase of a number in flight at a time, across all workspaces: two workspaces racing for
-- the same number must not both take "it is on the account" as their own purchase.
CREATE UNIQUE INDEX number_purchases_one_pending_per_number ON number_purchases (phone_number) WHERE state = 'pending';
-- The reconciler's scan.
CREATE INDEX number_purchases_pending_idx ON number_purchases (created_at) WHERE state = 'pending';

ALTER TABLE number_purchases ENABLE ROW LEVEL SECURITY;
ALTER TABLE number_purchases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON number_purchases TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY system_paths ON number_purchases TO ovrsee_system USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON number_purchases TO ovrsee_tenant, ovrsee_system;
