-- Two NOLOGIN roles carry all data access; the services' login role is a member of both.
--   ovrsee_tenant: what the calls API runs as (SET LOCAL ROLE inside a tenant scope). It sees
--                  only rows of the workspace named by the transaction setting app.workspace_id.
--   ovrsee_system: the few cross-tenant paths (Twilio webhooks find a workspace by the number
--                  dialled or by CallSid, the job runner). Used only where code says so.
-- Neither role has BYPASSRLS, and every workspace-owned table uses FORCE ROW LEVEL SECURITY,
-- so even the table owner is filtered.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ovrsee_tenant') THEN
        CREATE ROLE ovrsee_tenant NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ovrsee_system') THEN
        CREATE ROLE ovrsee_system NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;

-- The migrating login can act as both; other service logins are granted by whoever creates them.
GRANT ovrsee_tenant TO CURRENT_USER;
GRANT ovrsee_system TO CURRENT_USER;

-- The workspace of the current tenant scope, or NULL outside one (which matches no row).
CREATE FUNCTION current_workspace_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('app.workspace_id', true), '')::uuid $$;

GRANT USAGE ON SCHEMA public TO ovrsee_tenant, ovrsee_system;
GRANT EXECUTE ON FUNCTION current_workspace_id() TO ovrsee_tenant, ovrsee_system;
