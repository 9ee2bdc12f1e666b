using Npgsql;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// One LISTEN connection per process for 'ovrsee_events' (migration 0120's trigger notifies on
/// every commit that wrote events). Readers take <see cref="Next"/> before they read and await it
/// after reading nothing new, so a notification between the two is never missed; no reader polls
/// the database on its own.
/// </summary>
public sealed class EventSignal(NpgsqlDataSource dataSource, ILogger<EventSignal> logger) : BackgroundService
{
    public const string Channel = "ovrsee_events";

    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next notification (or when the listener reconnects, since one may have been missed).</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes every waiting reader.</summary>
    public void Wake() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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
