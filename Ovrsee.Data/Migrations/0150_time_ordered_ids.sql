-- Time-ordered ids for the rows every incoming call writes (#15). call_logs.id and
-- domain_events.id were random (gen_random_uuid()), so each new row's entry in their unique
-- indexes (and in the indexes that lead with call_log_id: call_events', domain_events' call
-- order) landed on a random leaf page, and after every checkpoint the first change to a page
-- writes the whole page to the WAL. Measured with `Ovrsee.Benchmarks replay` (200,000 calls
-- already stored, a checkpoint before each measurement): 1.13-1.29 full-page images and
-- 9,900-11,800 WAL bytes per incoming call with random ids, 0.44-0.48 and 5,700-6,600 with these
-- (what remains is the CallSid-keyed indexes: Twilio's CallSids are random).
--
-- UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then the version, then
-- random bits from gen_random_uuid(), so ids still cannot be guessed, and new ones sort after
-- older ones (within a millisecond, in any order). PostgreSQL 15 has no uuidv7(); this is one
-- SQL expression (a few microseconds, like gen_random_uuid() itself).
--
-- Only the defaults change: existing rows keep their ids, and nothing reads an id's bits. An
-- id now tells roughly when its row was created, which the row's own created_at already says
-- to whoever may read it.
CREATE FUNCTION uuid_time_ordered() RETURNS uuid
    LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;
GRANT EXECUTE ON FUNCTION uuid_time_ordered() TO ovrsee_tenant, ovrsee_system;

ALTER TABLE call_logs ALTER COLUMN id SET DEFAULT uuid_time_ordered();
ALTER TABLE domain_events ALTER COLUMN id SET DEFAULT uuid_time_ordered();
