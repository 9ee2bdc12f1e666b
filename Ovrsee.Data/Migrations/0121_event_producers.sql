-- What the domain_events producers (#19) need to write each event exactly once, in the statement
-- that makes the change, and in the order things happened to the call.
--
-- announced: the events already written for the row, as bits. A statement computes the bits its
-- change settles (call_logs: 1 call.ringing, 2 call.answered, 4 call.completed, 8 call.routed;
-- voicemail_messages: 1 voicemail.recorded, 2 voicemail.transcribed, 4 voicemail.summarized) and
-- sets, in the same UPDATE, announcing = new bits & ~announced (SET sees the row as it was, after
-- the row lock, so two concurrent callbacks cannot both announce) and announced |= new bits; it
-- then inserts one domain event per bit in announcing. Redeliveries, replays and re-runs announce
-- nothing. No extra index, no trigger: the row is already being written.
--
-- event_seq: the call's event counter, moved on (by 4, one slot per event a statement can write)
-- under the call_logs row lock by every statement that may write events for the call; an event's
-- call_seq is taken from it, so call_seq increases along a call's events in the order they
-- happened (values may be skipped), whatever order the transactions' ids have.
--
-- Rows from before this migration count as announced (the first default, which PostgreSQL keeps
-- without rewriting the table): a late callback for an old call does not replay its history.
ALTER TABLE call_logs
    ADD COLUMN event_seq  integer  NOT NULL DEFAULT 0,
    ADD COLUMN announced  smallint NOT NULL DEFAULT 15,
    ADD COLUMN announcing smallint NOT NULL DEFAULT 0;
ALTER TABLE call_logs ALTER COLUMN announced SET DEFAULT 0;

ALTER TABLE voicemail_messages
    ADD COLUMN announced  smallint NOT NULL DEFAULT 7,
    ADD COLUMN announcing smallint NOT NULL DEFAULT 0;
ALTER TABLE voicemail_messages ALTER COLUMN announced SET DEFAULT 0;

-- Times in event data: UTC, ISO 8601 with milliseconds and Z, whatever the session's TimeZone.
CREATE FUNCTION event_time(at timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
GRANT EXECUTE ON FUNCTION event_time(timestamptz) TO ovrsee_tenant, ovrsee_system;

-- No trigger wakes the readers: PostgreSQL serialises the commits of transactions that NOTIFY (a
-- database-wide lock held until after the commit's WAL flush, so that notifications queue in
-- commit order). With 0120's statement trigger, every webhook transaction notified, and the
-- incoming-call statement ran 3-4x slower under concurrency (pgbench, 8 clients: 164-208 tps with a
-- notifying row trigger against 515-730 without). The writers ask the process's EventSignal to NOTIFY
-- after they commit instead, from its own connection, coalesced.
DROP TRIGGER domain_events_wake_readers ON domain_events;
DROP FUNCTION notify_event_readers();
