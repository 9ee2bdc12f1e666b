-- A callback can reach us before the call's incoming-call webhook (reordering, or a spooled
-- incoming-call replayed after a later callback). It then creates a bare call log with no
-- workspace, and its events, voicemail and jobs inherit that NULL, invisible to the tenant.
-- When the call log learns its workspace, everything hanging off it follows. The trigger fires
-- only on that NULL → workspace change, so the normal webhook path pays nothing.
CREATE FUNCTION call_children_follow_workspace() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE call_events SET workspace_id = NEW.workspace_id
     WHERE call_log_id = NEW.id AND workspace_id IS NULL;
    UPDATE voicemail_messages SET workspace_id = NEW.workspace_id
     WHERE call_log_id = NEW.id AND workspace_id IS NULL;
    UPDATE jobs SET workspace_id = NEW.workspace_id
     WHERE workspace_id IS NULL
       AND payload->>'voicemailId' IN (SELECT id::text FROM voicemail_messages WHERE call_log_id = NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER call_children_follow_workspace
    AFTER UPDATE OF workspace_id ON call_logs
    FOR EACH ROW
    WHEN (OLD.workspace_id IS NULL AND NEW.workspace_id IS NOT NULL)
    EXECUTE FUNCTION call_children_follow_workspace();
