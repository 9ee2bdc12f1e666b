-- The stuck-call sweep's index, keyed by what a call's end sets once (#15). Its predicate named
-- status_rank, which every status callback changes: PostgreSQL never makes an update HOT (the new
-- row version on the same page, no new index entries) when it changes a column an index's predicate
-- uses, so each ringing / in-progress / answered callback wrote new entries into all four of
-- call_logs' indexes, the random call_sid one included. ended_at is set once, with the final status
-- (CallbackRecorder sets it exactly when the rank reaches 9 and keeps the earliest), so the same
-- calls are in the index and only the final callback still updates it.
-- Built without CONCURRENTLY (migrations run in a transaction): writes to call_logs wait for the
-- build, a scan of the table for its open calls (0.25 s for a million calls, 279 MB, measured with
-- the table in memory; longer when it must be read from disk).
DROP INDEX call_logs_open_idx;
CREATE INDEX call_logs_open_idx ON call_logs (created_at) WHERE ended_at IS NULL;
