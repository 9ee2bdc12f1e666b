-- Reconciliation against Twilio's REST API (WebhookApi's CallReconciler): per number, the point
-- up to which Twilio's calls and recordings were compared with ours, and how many records that
-- repaired in total (shown in the phone-number API).
ALTER TABLE user_phone_numbers
    ADD COLUMN last_reconciled_at timestamptz,
    ADD COLUMN reconciled_repairs bigint NOT NULL DEFAULT 0 CHECK (reconciled_repairs >= 0);

-- The stuck-call sweep looks for calls that never reached a final status; few are open at any time.
CREATE INDEX call_logs_open_idx ON call_logs (created_at) WHERE status_rank < 9;
