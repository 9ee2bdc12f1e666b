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
/// </summary>
public sealed class EventSignal(NpgsqlDataSource dataSource, ILogger<EventSignal> logger) : BackgroundService
{
    public const string Channel = "ovrsee_events";

    /// <summary>Notifications are coalesced to one per this interval: the latency a remote reader may add.</summary>
    public static readonly TimeSpan NotifyInterval = TimeSpan.FromMilliseconds(20);

    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Threading.Channels.Channel<bool> _notifyRequests =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });

    /// <summary>
    /// Events may have been committed: wake this process's readers now and the other replicas'
    /// through PostgreSQL shortly. Never waits, never throws; requests made while one is pending
    /// fold into it.
    /// </summary>
    public void Notify()
    {
        Wake();
        _notifyRequests.Writer.TryWrite(true);
    }

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
                _notifyRequests.Reader.TryRead(out _);
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    await using var notify = new NpgsqlCommand($"NOTIFY {Channel}", connection);
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
                connection.Notification += (_, _) => Wake();
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
