-- The outbox of domain events (#19): call.ringing, call.answered, call.routed, call.completed,
-- voicemail.recorded, voicemail.transcribed, voicemail.summarized. A row is written in the same
-- transaction as the change it describes, so there is no event without its change and no change
-- without its event. The live feed (SSE) and the outbound webhooks both read from here.
--
-- Reading in order without losing a row: `position` comes from a sequence, so a transaction can
-- commit a lower position after a higher one is already visible. Readers therefore order by
-- (tx_id, position) and read only rows of transactions older than every transaction still running:
--
--     WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
--       AND (tx_id, position) > (@after_tx, @after_position)
--     ORDER BY tx_id, position
--
-- Every row that can still appear has tx_id >= that horizon, so a cursor (tx_id, position) never
-- skips one. A transaction left open holds the horizon back: events wait, none is lost.
--
-- call_seq numbers a call's events in the order they happened to the call (assigned under the
-- call_logs row lock), which is the per-call order consumers see.
CREATE TABLE domain_events (
    position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    tx_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    call_log_id  uuid REFERENCES call_logs (id) ON DELETE CASCADE,
    call_seq     integer,
    type         text NOT NULL CHECK (type IN ('call.ringing', 'call.answered', 'call.routed',
                                               'call.completed', 'voicemail.recorded',
                                               'voicemail.transcribed', 'voicemail.summarized')),
    occurred_at  timestamptz NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domain_events_order_idx ON domain_events (tx_id, position);
CREATE INDEX domain_events_workspace_order_idx ON domain_events (workspace_id, tx_id, position);

ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE domain_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON domain_events TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY system_paths ON domain_events TO ovrsee_system USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON domain_events TO ovrsee_tenant;
GRANT SELECT, INSERT, DELETE ON domain_events TO ovrsee_system;

-- Readers LISTEN on 'ovrsee_events' instead of polling. PostgreSQL delivers on commit and folds
-- repeats within a transaction into one, so a busy transaction costs one notification.
CREATE FUNCTION notify_event_readers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ovrsee_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER domain_events_wake_readers
    AFTER INSERT ON domain_events
    FOR EACH STATEMENT
    EXECUTE FUNCTION notify_event_readers();
