-- The role switch of SystemPath's batches (Ovrsee.Data/SystemPath.cs). The first statement of a
-- pipeline runs before PostgreSQL knows that more follow before the Sync, so `SET LOCAL ROLE` there
-- counted as outside a transaction block: it applied (until the Sync ends the implicit transaction)
-- but warned, in the server log and to the client, once per batch: 19,468 warnings in one benchmark
-- run of the webhooks. set_config(..., true) is the same transaction-local setting without that
-- check, and CALL returns no rows, so a batch's result sets are still only its statements'.
-- Membership is checked as by SET ROLE: only a login granted ovrsee_system can enter.
CREATE PROCEDURE enter_system_path()
    LANGUAGE sql
    AS $$ SELECT set_config('role', 'ovrsee_system', true) $$;
