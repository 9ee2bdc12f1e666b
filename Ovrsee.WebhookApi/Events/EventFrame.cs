using System.Text;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// One Server-Sent Events frame, already encoded: formatted once per event by the shared reader and
/// copied to every connection of the workspace as bytes.
/// </summary>
public sealed class EventFrame
{
    /// <summary>A comment line: keeps proxies from closing an idle stream, ignored by EventSource.</summary>
    public static readonly EventFrame Heartbeat = new(default, "", Encoding.UTF8.GetBytes(": keep-alive\n\n"));

    private EventFrame(EventCursor cursor, string type, byte[] bytes) => (Cursor, Type, Bytes) = (cursor, type, bytes);

    public EventCursor Cursor { get; }
    public string Type { get; }
    public ReadOnlyMemory<byte> Bytes { get; }
    public bool IsHeartbeat => ReferenceEquals(this, Heartbeat);

    /// <summary><c>id: &lt;cursor&gt;\nevent: &lt;type&gt;\ndata: &lt;envelope&gt;\n\n</c>; the id is what a browser sends back as Last-Event-ID.</summary>
    public static EventFrame For(DomainEvent domainEvent)
    {
        var json = domainEvent.ToJson();
        // The envelope is compact JSON (jsonb's text form has no raw line breaks), so this is one data
        // line; should one ever appear, each line must become its own data: line or the frame would end early.
        if (json.Contains('\n') || json.Contains('\r'))
        {
            json = json.Replace("\r\n", "\n").Replace('\r', '\n').Replace("\n", "\ndata: ");
        }
        var text = $"id: {domainEvent.Cursor}\nevent: {domainEvent.Type}\ndata: {json}\n\n";
        return new EventFrame(domainEvent.Cursor, domainEvent.Type, Encoding.UTF8.GetBytes(text));
    }

    public static byte[] Retry(TimeSpan delay) =>
        Encoding.UTF8.GetBytes($"retry: {(long)delay.TotalMilliseconds}\n\n");
}

public static class EventCursorOrder
{
    /// <summary>Outbox order: (tx_id, position), as the readers' SQL orders rows.</summary>
    public static bool IsAfter(this EventCursor cursor, EventCursor other) =>
        cursor.TxId > other.TxId || (cursor.TxId == other.TxId && cursor.Position > other.Position);
}
