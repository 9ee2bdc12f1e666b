-- A workspace's voice agent, set by its owners through /api/aloha/settings/agent:
--   agent_stream_url set        an external Aloha agent (ws/wss URL, checked by AgentUrlPolicy)
--   agent_builtin               the built-in agent: calls still go through the media stream
--   neither                     no agent: calls go straight to voicemail (or "unavailable")
--   agent_updated_at            when an owner last chose; NULL = never (the dev seed may then pick the built-in one)
-- Added columns only: the previous release keeps working and treats a built-in workspace as "no agent".
ALTER TABLE workspaces
    ADD COLUMN agent_builtin boolean NOT NULL DEFAULT false,
    ADD COLUMN agent_updated_at timestamptz,
    ADD CONSTRAINT workspaces_one_agent CHECK (NOT (agent_builtin AND agent_stream_url IS NOT NULL));
