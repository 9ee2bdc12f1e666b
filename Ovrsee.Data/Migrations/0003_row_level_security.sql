-- Tenant isolation lives in the database, not only in WHERE clauses: a tenant-scoped session
-- that forgets its filter still sees only its own workspace.
ALTER TABLE workspaces         ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces         FORCE ROW LEVEL SECURITY;
ALTER TABLE workspace_members  ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_members  FORCE ROW LEVEL SECURITY;
ALTER TABLE user_phone_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_phone_numbers FORCE ROW LEVEL SECURITY;
ALTER TABLE call_logs          ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_logs          FORCE ROW LEVEL SECURITY;
ALTER TABLE call_events        ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_events        FORCE ROW LEVEL SECURITY;
ALTER TABLE voicemail_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE voicemail_messages FORCE ROW LEVEL SECURITY;
ALTER TABLE jobs               ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs               FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON workspaces TO ovrsee_tenant
    USING (id = current_workspace_id()) WITH CHECK (id = current_workspace_id());
CREATE POLICY tenant_isolation ON workspace_members TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY tenant_isolation ON user_phone_numbers TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY tenant_isolation ON call_logs TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY tenant_isolation ON call_events TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY tenant_isolation ON voicemail_messages TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());
CREATE POLICY tenant_isolation ON jobs TO ovrsee_tenant
    USING (workspace_id = current_workspace_id()) WITH CHECK (workspace_id = current_workspace_id());

CREATE POLICY system_paths ON workspaces         TO ovrsee_system USING (true) WITH CHECK (true);
CREATE POLICY system_paths ON workspace_members  TO ovrsee_system USING (true) WITH CHECK (true);
CREATE POLICY system_paths ON user_phone_numbers TO ovrsee_system USING (true) WITH CHECK (true);
CREATE POLICY system_paths ON call_logs          TO ovrsee_system USING (true) WITH CHECK (true);
CREATE POLICY system_paths ON call_events        TO ovrsee_system USING (true) WITH CHECK (true);
CREATE POLICY system_paths ON voicemail_messages TO ovrsee_system USING (true) WITH CHECK (true);
CREATE POLICY system_paths ON jobs               TO ovrsee_system USING (true) WITH CHECK (true);

GRANT SELECT, UPDATE                 ON workspaces TO ovrsee_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON workspace_members, user_phone_numbers, call_logs,
                                        call_events, voicemail_messages, jobs TO ovrsee_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON workspaces, workspace_members, user_phone_numbers, call_logs,
                                        call_events, voicemail_messages, jobs TO ovrsee_system;

-- Lifecycle order of Twilio call statuses. A callback changes the call's status only when its
-- (rank, SequenceNumber) is higher, so callbacks can arrive in any order and a terminal status
-- is never overwritten by a late earlier one. A call we refused ("not in service") stays
-- rejected even though Twilio then reports the short call that played the message as completed.
CREATE FUNCTION call_status_rank(status text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE status
        WHEN 'queued'      THEN 1
        WHEN 'initiated'   THEN 2
        WHEN 'ringing'     THEN 3
        WHEN 'in-progress' THEN 4
        WHEN 'answered'    THEN 4
        WHEN 'completed'   THEN 9
        WHEN 'busy'        THEN 9
        WHEN 'failed'      THEN 9
        WHEN 'no-answer'   THEN 9
        WHEN 'canceled'    THEN 9
        WHEN 'rejected'    THEN 10
        ELSE 0
    END::smallint
$$;
GRANT EXECUTE ON FUNCTION call_status_rank(text) TO ovrsee_tenant, ovrsee_system;
