using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// A place in the outbox, after which a reader goes on: (tx_id, position), see migration 0120.
/// Its text form "tx.position" is the SSE event id a browser sends back as Last-Event-ID.
/// </summary>
public readonly record struct EventCursor(ulong TxId, long Position)
{
    /// <summary>Before every event.</summary>
    public static readonly EventCursor Start = new(0, 0);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{TxId}.{Position}");

    public static bool TryParse(string? text, out EventCursor cursor)
    {
        cursor = Start;
        if (string.IsNullOrEmpty(text) || text.Length > 41)
        {
            return false;
        }
        var dot = text.IndexOf('.');
        if (dot <= 0
            || !ulong.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var tx)
            || !long.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return false;
        }
        cursor = new EventCursor(tx, position);
        return true;
    }
}

/// <summary>
/// One row of the outbox as consumers see it. The JSON envelope is the same on the live feed and
/// in webhook bodies:
/// <c>{"id","type","timestamp","workspaceId","callId","sequence","data"}</c> — <c>id</c> is stable
/// (the webhook-id), <c>timestamp</c> is when it happened (UTC), <c>sequence</c> increases along one
/// call's events in the order they happened to the call (values may be skipped).
/// </summary>
public sealed record DomainEvent(
    long Position,
    ulong TxId,
    Guid Id,
    Guid WorkspaceId,
    Guid? CallId,
    int? CallSequence,
    string Type,
    DateTimeOffset OccurredAt,
    string DataJson)
{
    public static readonly IReadOnlyList<string> Types =
    [
        "call.ringing", "call.answered", "call.routed", "call.completed",
        "voicemail.recorded", "voicemail.transcribed", "voicemail.summarized",
    ];

    public EventCursor Cursor => new(TxId, Position);

    public string ToJson()
    {
        using var buffer = new MemoryStream(256 + DataJson.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", Id);
            json.WriteString("type", Type);
            json.WriteString("timestamp", OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("workspaceId", WorkspaceId);
            if (CallId is { } callId)
            {
                json.WriteString("callId", callId);
            }
            else
            {
                json.WriteNull("callId");
            }
            if (CallSequence is { } sequence)
            {
                json.WriteNumber("sequence", sequence);
            }
            else
            {
                json.WriteNull("sequence");
            }
            json.WritePropertyName("data");
            json.WriteRawValue(DataJson, skipInputValidation: true);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
