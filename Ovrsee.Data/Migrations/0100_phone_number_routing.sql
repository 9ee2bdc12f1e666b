-- Per-number call routing (business hours, closures, forwarding, greetings), edited through
-- Provisioning's PATCH /api/telephony/phone-numbers/{id} and read by the WebhookApi in the same
-- statement that records the incoming call. One JSON document (Ovrsee.Routing.RoutingSettings),
-- validated by the API before it is written: it is read whole, never queried by part.
-- NULL means the defaults, which route exactly as before this column existed.
ALTER TABLE user_phone_numbers
    ADD COLUMN routing jsonb CHECK (routing IS NULL OR jsonb_typeof(routing) = 'object');
