-- Job runners LISTEN on 'ovrsee_jobs' and claim at once when a job becomes due, instead of polling
-- every second. The statement that enqueues (or hands a job back) notifies; PostgreSQL delivers it
-- on commit and folds repeats within a transaction into one. Jobs queued for later (retries with
-- backoff) do not notify: the runner sleeps until the earliest of them, with a slow safety poll.
CREATE FUNCTION notify_job_runners() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ovrsee_jobs', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_wake_runners
    AFTER INSERT OR UPDATE OF state, run_after ON jobs
    FOR EACH ROW
    WHEN (NEW.state = 'queued' AND NEW.run_after <= now())
    EXECUTE FUNCTION notify_job_runners();
