-- Each call's outcome, for the calls list and detail: derived at read time from what the webhooks
-- stored (timeline entries and voicemails), never written, so duplicate, late or replayed
-- callbacks cannot make it go backwards. First that applies:
--   forwarded   a person we forwarded to answered
--   agent       the Aloha agent handled the call
--   voicemail   the caller left a (completed) recording
--   rejected    the number was not in service
--   missed      the call ended with none of the above (hung up while ringing, at the greeting, …)
--   in-progress not ended yet
CREATE FUNCTION call_outcome(call_log_id uuid, status text, status_rank smallint) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN EXISTS (SELECT FROM call_events e
                     WHERE e.call_log_id = $1 AND e.kind = 'forwarded' AND e.status IN ('completed', 'answered'))
            THEN 'forwarded'
        WHEN EXISTS (SELECT FROM call_events e WHERE e.call_log_id = $1 AND e.kind = 'agent-handled')
            THEN 'agent'
        WHEN EXISTS (SELECT FROM voicemail_messages v WHERE v.call_log_id = $1 AND v.recording_status = 'completed')
            THEN 'voicemail'
        WHEN $2 = 'rejected' THEN 'rejected'
        WHEN $3 >= 9 THEN 'missed'
        ELSE 'in-progress'
    END
$$;
GRANT EXECUTE ON FUNCTION call_outcome(uuid, text, smallint) TO ovrsee_tenant, ovrsee_system;
