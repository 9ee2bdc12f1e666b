-- The call detail lists each voicemail's pipeline jobs by the voicemailId in their payload.
CREATE INDEX jobs_voicemail_idx ON jobs ((payload->>'voicemailId'));
