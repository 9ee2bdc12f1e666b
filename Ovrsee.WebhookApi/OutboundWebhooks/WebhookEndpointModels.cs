using System.Text.Json.Serialization;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <param name="Url">Where events are POSTed: https:// (http:// only in Development), a public address.</param>
/// <param name="EventTypes">The event types to send (call.ringing, call.answered, call.routed, call.completed,
/// voicemail.recorded, voicemail.transcribed, voicemail.summarized); empty or omitted: all of them.</param>
/// <param name="Enabled">Default true on create. Setting it to true again after an automatic disable clears the reason and the failure streak.</param>
public sealed record WebhookEndpointRequest(string? Url, string[]? EventTypes, bool? Enabled);

/// <param name="EventTypes">Empty: every event type.</param>
/// <param name="DisabledReason">Why the endpoint is disabled (automatically after a long failure streak, or by a user).</param>
/// <param name="ConsecutiveFailures">Failed attempts in a row, across deliveries; reset by any 2xx.</param>
/// <param name="FailingSince">When the current failure streak began.</param>
/// <param name="PreviousSecretExpiresAt">After a rotation: until when the previous secret signs too.</param>
/// <param name="Secret">The signing secret (whsec_…): only in the answers to create and rotate-secret. Keep it; it is not shown again.</param>
public sealed record WebhookEndpoint(
    Guid Id, string Url, IReadOnlyList<string> EventTypes, bool Enabled, string? DisabledReason, DateTimeOffset? DisabledAt,
    int ConsecutiveFailures, DateTimeOffset? FailingSince, DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null);

/// <param name="EventId">The event's id: the webhook-id header, the same on every attempt and on a resend.</param>
/// <param name="CallId">The call the event belongs to, if any.</param>
/// <param name="Sequence">The event's place among its call's events.</param>
/// <param name="Status">pending (not tried yet, or re-sent), failed (a retry is scheduled), delivered (a 2xx came back), dead (retried for the whole retry window).</param>
/// <param name="NextAttemptAt">When it is (re)tried; null once delivered or dead.</param>
/// <param name="LastStatusCode">The HTTP status of the last attempt; null if none answered (timeout, connection refused).</param>
public sealed record WebhookDelivery(
    Guid Id, Guid EventId, string EventType, Guid? CallId, int? Sequence, string Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatusCode, int? LastLatencyMs, string? LastError,
    DateTimeOffset? DeliveredAt, DateTimeOffset CreatedAt);

public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDelivery> Items, string? NextCursor);

/// <param name="StatusCode">Null when no HTTP answer came.</param>
public sealed record WebhookDeliveryAttempt(DateTimeOffset AttemptedAt, int? StatusCode, int LatencyMs, string? Error);

/// <param name="Attempts">Every attempt, oldest first.</param>
public sealed record WebhookDeliveryDetail(WebhookDelivery Delivery, IReadOnlyList<WebhookDeliveryAttempt> Attempts);
