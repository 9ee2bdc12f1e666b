using Npgsql;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// Wakes the outbox's readers in every replica. One LISTEN connection per process for
/// 'ovrsee_events'; readers take <see cref="Next"/> before they read and await it after reading
/// nothing new, so a notification between the two is never missed, and no reader polls the
/// database on its own.
/// Writers of domain events call <see cref="Notify"/> after their commit. The NOTIFY is sent here,
/// on its own connection, at most one per <see cref="NotifyInterval"/>, not inside the writers'
/// transactions: PostgreSQL serialises the commits of notifying transactions (a database-wide lock
/// held through the WAL flush), which made the webhook statement 3–4× slower (migration 0121).
/// This process's readers are woken on the same cadence, not once per commit: every wake is a read
/// of domain_events by each reader (the live feed's hub, the webhook fan-out, which also takes the
/// dispatch cursor's row lock and commits), and under load the group commit commits every few
/// milliseconds, so per-commit wakes cost PostgreSQL more per webhook than the events' own inserts
/// (#15, docs/performance.md). The NOTIFY carries this process's id, so its own listener does not
/// wake its readers a second time for it.
/// </summary>
public sealed class EventSignal(NpgsqlDataSource dataSource, ILogger<EventSignal> logger) : BackgroundService
{
    public const string Channel = "ovrsee_events";

    /// <summary>Wakes (local and remote) are coalesced to one per this interval: the latency a reader may add.</summary>
    public static readonly TimeSpan NotifyInterval = TimeSpan.FromMilliseconds(50);

    // Sent as the NOTIFY payload: a notification from this process has already woken its readers.
    private readonly string _origin = Guid.NewGuid().ToString("N");

    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Threading.Channels.Channel<bool> _notifyRequests =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });

    /// <summary>
    /// Events may have been committed: wake this process's readers and, through PostgreSQL, the
    /// other replicas', at once if nothing was woken within <see cref="NotifyInterval"/>, else at
    /// the end of it. Never waits, never throws; requests made while one is pending fold into it.
    /// </summary>
    public void Notify() => _notifyRequests.Writer.TryWrite(true);

    /// <summary>Completes at the next notification (or when the listener reconnects, since one may have been missed).</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes every waiting reader.</summary>
    public void Wake() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ListenAsync(stoppingToken), SendNotificationsAsync(stoppingToken));

    private async Task SendNotificationsAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _notifyRequests.Reader.WaitToReadAsync(stoppingToken))
            {
                // Taken before waking: a request made after this point is another round.
                _notifyRequests.Reader.TryRead(out _);
                Wake();
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    await using var notify = new NpgsqlCommand($"NOTIFY {Channel}, '{_origin}'", connection);
                    await notify.ExecuteNonQueryAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Readers look again on their own within seconds; nothing is lost.
                    logger.LogDebug(exception, "Could not notify other replicas of new domain events.");
                }
                await Task.Delay(NotifyInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) =>
                {
                    if (notification.Payload != _origin)
                    {
                        Wake();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                delay = TimeSpan.FromSeconds(1);
                // Anything committed while we were not listening: readers look again.
                Wake();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Listening for domain events failed; retrying in {Delay}.", delay);
                Wake();
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
