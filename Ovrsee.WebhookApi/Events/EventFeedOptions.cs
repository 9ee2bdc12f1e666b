using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// The live call feed (<c>GET /api/aloha/events</c>), bound from the <c>EventFeed</c> section and
/// validated at start-up. A connection costs one bounded queue of at most
/// <see cref="SubscriberQueueLength"/> frames; nothing else per client (no timer, no database connection).
/// </summary>
public sealed class EventFeedOptions
{
    public const string SectionName = "EventFeed";

    /// <summary>
    /// A comment line (<c>: keep-alive</c>) to every connection this often, from one shared tick, so
    /// proxies and load balancers do not close an idle stream (Azure Container Apps' ingress: 240 s;
    /// many proxies: 60 s) and a client notices a dead connection.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The <c>retry:</c> hint sent on connect: how long a browser waits before it reconnects.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Frames waiting for one client. A client that falls this far behind is disconnected (it
    /// resumes from the outbox with Last-Event-ID) instead of making us buffer without bound.
    /// Frames are formatted once and shared, so a slot costs a reference; the default holds several
    /// of the hub's reads, so a burst (a read of <see cref="ReadBatchSize"/> events at once) does not
    /// cut off a client that keeps up.
    /// </summary>
    public int SubscriberQueueLength { get; set; } = 4096;

    /// <summary>
    /// The shared reader's re-read when no notification came. A notification arrives on commit, but
    /// a row stays unreadable while an older transaction is still open (commit-safe order, migration
    /// 0120), and its end sends no notification of its own.
    /// </summary>
    public TimeSpan FallbackReadInterval { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Rows per outbox read, for the shared reader and for a resuming client's catch-up.</summary>
    public int ReadBatchSize { get; set; } = 500;
}

public sealed class EventFeedOptionsValidator : IValidateOptions<EventFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, EventFeedOptions options)
    {
        var failures = new List<string>();
        if (options.HeartbeatInterval < TimeSpan.FromSeconds(1) || options.HeartbeatInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add("EventFeed:HeartbeatInterval must be between 00:00:01 and 00:05:00.");
        }
        if (options.ReconnectDelay < TimeSpan.FromMilliseconds(100) || options.ReconnectDelay > TimeSpan.FromMinutes(5))
        {
            failures.Add("EventFeed:ReconnectDelay must be between 00:00:00.1 and 00:05:00.");
        }
        if (options.SubscriberQueueLength is < 8 or > 100_000)
        {
            failures.Add("EventFeed:SubscriberQueueLength must be between 8 and 100000.");
        }
        if (options.FallbackReadInterval < TimeSpan.FromMilliseconds(100) || options.FallbackReadInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add("EventFeed:FallbackReadInterval must be between 00:00:00.1 and 00:01:00.");
        }
        if (options.ReadBatchSize is < 1 or > 10_000)
        {
            failures.Add("EventFeed:ReadBatchSize must be between 1 and 10000.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
