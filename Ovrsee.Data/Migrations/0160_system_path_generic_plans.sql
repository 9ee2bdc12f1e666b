-- SystemPath's role switch for a batch whose statement must keep one plan (#15). PostgreSQL chooses
-- between a prepared statement's generic plan and a plan made for each execution's values by their
-- estimated costs. For the group commit's read of its incoming calls' numbers
-- (`phone_number = ANY (@numbers)`) the array's length decides: a generic plan assumes ten elements,
-- so a batch with one or two numbers always looked cheaper planned afresh. It was planned for every
-- batch: 0.2 ms of planning for a 0.03 ms read (pg_stat_statements, compare --pg-stats). Its plan
-- is one index probe per number whatever the values, so this batch asks for the generic plan, for
-- its own transaction only.
CREATE PROCEDURE enter_system_path_with_generic_plans()
    LANGUAGE sql
    AS $$ SELECT set_config('role', 'ovrsee_system', true), set_config('plan_cache_mode', 'force_generic_plan', true) $$;
