using System.Globalization;
using System.Text.Json.Serialization;

namespace Ovrsee.WebhookApi.Webhooks;

public enum CallbackKind
{
    IncomingCall,
    CallStatus,
    VoicemailRecorded,
    VoicemailTranscribed,
    StreamEnded,
    /// <summary>A forwarding Dial ended (its action URL): who answered, or why nobody did.</summary>
    DialEnded,
}

/// <summary>
/// One webhook as Twilio sent it: what the recorder stores, and what the spool keeps verbatim
/// while the database is away, so a replay is the same callback again.
/// </summary>
public sealed record TwilioCallback(
    CallbackKind Kind,
    IReadOnlyDictionary<string, string> Parameters,
    DateTimeOffset ReceivedAt)
{
    [JsonIgnore]
    public string CallSid => Get("CallSid") ?? "";

    public string? Get(string name) => Parameters.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public int? GetInt(string name) => int.TryParse(Get(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>
    /// A duration in seconds. A negative one cannot be stored (the columns are CHECKed >= 0) and
    /// means nothing, so it reads as unknown; the event's payload still holds what Twilio sent.
    /// </summary>
    public int? GetDuration(string name) => GetInt(name) is { } seconds && seconds >= 0 ? seconds : null;

    /// <summary>Twilio's own Timestamp (RFC 2822) when it sends one, else when we received it.</summary>
    [JsonIgnore]
    public DateTimeOffset OccurredAt =>
        Get("Timestamp") is { } timestamp
        && DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.ToUniversalTime()
            : ReceivedAt;
}
