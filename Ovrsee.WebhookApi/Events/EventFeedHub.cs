using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// The live feed's one reader per process. It follows the outbox for every workspace from the
/// head at start-up, woken by <see cref="EventSignal"/> (LISTEN/NOTIFY) with a slow fallback re-read,
/// formats each event's frame once and hands it to that workspace's subscribers through their
/// bounded queues. Hundreds of idle connections therefore cost hundreds of small queues: no
/// database connection, no query and no timer each (one shared heartbeat tick writes to all).
/// A subscriber whose queue is full is cut off: it resumes from the outbox with Last-Event-ID.
/// </summary>
public sealed partial class EventFeedHub(
    DomainEventLog log, EventSignal signal, IOptions<EventFeedOptions> options, IHostApplicationLifetime lifetime,
    ILogger<EventFeedHub> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, List<EventFeedSubscription>> _subscribers = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _subscriberCount;
    private long _disconnectedSlow;
    private bool _stopping;

    /// <summary>
    /// Completes once the reader has its starting cursor. A connection subscribes only after it: an
    /// event committed between a connection's catch-up and a later start of the reader would be in neither.
    /// </summary>
    public Task Started => _started.Task;

    public int SubscriberCount => Volatile.Read(ref _subscriberCount);

    /// <summary>Subscribers cut off because their queue was full.</summary>
    public long DisconnectedSlow => Interlocked.Read(ref _disconnectedSlow);

    /// <summary>Frames for <paramref name="workspaceId"/> from now on (only <paramref name="types"/> when given).</summary>
    public EventFeedSubscription Subscribe(Guid workspaceId, IReadOnlyCollection<string>? types)
    {
        var subscription = new EventFeedSubscription(this, workspaceId, types, options.Value.SubscriberQueueLength);
        lock (_gate)
        {
            if (_stopping)
            {
                // Shutting down: the connection sends its catch-up and ends; the client reconnects elsewhere.
                subscription.Complete();
                return subscription;
            }
            if (!_subscribers.TryGetValue(workspaceId, out var list))
            {
                _subscribers[workspaceId] = list = [];
            }
            list.Add(subscription);
            _subscriberCount++;
        }
        return subscription;
    }

    internal void Unsubscribe(EventFeedSubscription subscription)
    {
        lock (_gate)
        {
            if (_subscribers.TryGetValue(subscription.WorkspaceId, out var list) && list.Remove(subscription))
            {
                _subscriberCount--;
                if (list.Count == 0)
                {
                    _subscribers.Remove(subscription.WorkspaceId);
                }
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // Kestrel waits for running requests before it stops, and a feed never ends by itself: end
        // every feed as soon as shutdown begins (browsers reconnect with Last-Event-ID to another instance).
        using var onStopping = lifetime.ApplicationStopping.Register(CompleteAll);
        using var stopHeartbeat = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = HeartbeatAsync(settings.HeartbeatInterval, stopHeartbeat.Token);
        try
        {
            var cursor = await StartingCursorAsync(stoppingToken);
            _started.TrySetResult();
            while (!stoppingToken.IsCancellationRequested)
            {
                // Taken before reading: a notification that arrives during the read wakes the next wait.
                var next = signal.Next;
                IReadOnlyList<DomainEvent> events;
                try
                {
                    events = await log.ReadAsync(cursor, settings.ReadBatchSize, stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    LogReadFailed(logger, exception);
                    await Task.Delay(settings.FallbackReadInterval, stoppingToken);
                    continue;
                }
                if (events.Count > 0)
                {
                    Publish(events);
                    cursor = events[^1].Cursor;
                    if (events.Count == settings.ReadBatchSize)
                    {
                        continue;
                    }
                }
                // Woken by a commit, or after a while anyway: a row becomes readable when an older
                // open transaction ends, which notifies nobody.
                await Task.WhenAny(next, Task.Delay(settings.FallbackReadInterval, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _started.TrySetCanceled(stoppingToken);
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            CompleteAll();
        }
    }

    private async Task<EventCursor> StartingCursorAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                return await log.HeadAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(logger, exception);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private void Publish(IReadOnlyList<DomainEvent> events)
    {
        List<EventFeedSubscription>? slow = null;
        lock (_gate)
        {
            foreach (var domainEvent in events)
            {
                if (!_subscribers.TryGetValue(domainEvent.WorkspaceId, out var list))
                {
                    continue;
                }
                EventFrame? frame = null;
                foreach (var subscription in list)
                {
                    if (subscription.Overflowed || !subscription.Wants(domainEvent.Type))
                    {
                        continue;
                    }
                    frame ??= EventFrame.For(domainEvent);
                    if (!subscription.TryDeliver(frame))
                    {
                        // Nothing after a missing frame may reach this client: it resumes from the outbox instead.
                        subscription.Overflowed = true;
                        (slow ??= []).Add(subscription);
                    }
                }
            }
        }
        foreach (var subscription in slow ?? [])
        {
            Interlocked.Increment(ref _disconnectedSlow);
            LogSlowSubscriber(logger, subscription.WorkspaceId, options.Value.SubscriberQueueLength);
            subscription.CutOff();
        }
    }

    private async Task HeartbeatAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                lock (_gate)
                {
                    foreach (var list in _subscribers.Values)
                    {
                        foreach (var subscription in list)
                        {
                            // A full queue has frames to send already: those keep the connection alive.
                            subscription.TryDeliver(EventFrame.Heartbeat);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CompleteAll()
    {
        lock (_gate)
        {
            _stopping = true;
            foreach (var subscription in _subscribers.Values.SelectMany(list => list))
            {
                subscription.Complete();
            }
            _subscribers.Clear();
            _subscriberCount = 0;
        }
    }

    [LoggerMessage(LogLevel.Warning, "The live feed's outbox read failed; retrying.")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "A live feed client of workspace {WorkspaceId} fell {QueueLength} frames behind and was disconnected; it resumes with Last-Event-ID.")]
    private static partial void LogSlowSubscriber(ILogger logger, Guid workspaceId, int queueLength);
}

/// <summary>One connection's place in the hub: a bounded queue of frames. Dispose to leave.</summary>
public sealed class EventFeedSubscription : IDisposable
{
    private readonly EventFeedHub _hub;
    private readonly IReadOnlyCollection<string>? _types;
    private readonly Channel<EventFrame> _frames;

    internal EventFeedSubscription(EventFeedHub hub, Guid workspaceId, IReadOnlyCollection<string>? types, int capacity)
    {
        (_hub, WorkspaceId, _types) = (hub, workspaceId, types);
        // Two writers (the reader and the heartbeat tick), one reader (the connection).
        _frames = Channel.CreateBounded<EventFrame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public Guid WorkspaceId { get; }

    /// <summary>Completes with <see cref="EventFeedOverflowException"/> when the client fell too far behind.</summary>
    public ChannelReader<EventFrame> Frames => _frames.Reader;

    public bool Wants(string type) => _types is null || _types.Contains(type);

    /// <summary>Set by the hub (under its lock) when a frame did not fit; the client is being cut off.</summary>
    internal bool Overflowed { get; set; }

    internal bool TryDeliver(EventFrame frame) => _frames.Writer.TryWrite(frame);

    internal void CutOff()
    {
        _hub.Unsubscribe(this);
        _frames.Writer.TryComplete(new EventFeedOverflowException());
    }

    internal void Complete() => _frames.Writer.TryComplete();

    public void Dispose()
    {
        _hub.Unsubscribe(this);
        _frames.Writer.TryComplete();
    }
}

/// <summary>The client did not read fast enough; what it missed is in the outbox.</summary>
public sealed class EventFeedOverflowException() : Exception("The client fell too far behind the live feed.");
