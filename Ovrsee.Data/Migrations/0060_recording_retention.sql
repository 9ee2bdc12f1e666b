-- Per-workspace privacy settings for call recordings.
--   recording_retention_days: voicemail audio, transcript and summary are deleted this many days
--     after the voicemail was recorded; NULL keeps them (the default).
--   delete_twilio_recordings: once our copy is stored, Twilio's copy of the recording is deleted.
-- Nullable / defaulted columns only: the previous release keeps working (expand, no contract).
ALTER TABLE workspaces
    ADD COLUMN recording_retention_days integer
        CHECK (recording_retention_days IS NULL OR recording_retention_days BETWEEN 1 AND 3650),
    ADD COLUMN delete_twilio_recordings boolean NOT NULL DEFAULT false;

-- The retention sweep walks each workspace's oldest voicemails first.
CREATE INDEX voicemail_messages_workspace_created_idx ON voicemail_messages (workspace_id, created_at);
