using Npgsql;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.Webhooks;

/// <summary>Moves spooled webhooks into PostgreSQL once it answers again.</summary>
public sealed class WebhookSpoolReplayer(
    WebhookSpool spool,
    CallbackRecorder recorder,
    Microsoft.Extensions.Options.IOptions<WebhookSpoolOptions> options,
    ILogger<WebhookSpoolReplayer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReplayInterval);
        do
        {
            try
            {
                await ReplayPendingAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex))
            {
                // Still down: the files stay, the next tick tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> ReplayPendingAsync(CancellationToken cancellationToken)
    {
        var replayed = 0;
        foreach (var path in await spool.PendingAsync(cancellationToken))
        {
            TwilioCallback? callback;
            try
            {
                callback = await spool.ReadAsync(path, cancellationToken);
            }
            catch (FileNotFoundException)
            {
                continue; // another replica sharing the folder replayed it first
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or IOException)
            {
                logger.LogError(ex, "Spooled webhook {File} is unreadable; set aside", Path.GetFileName(path));
                await spool.MoveAsideAsync(path);
                continue;
            }

            try
            {
                if (callback is not null)
                {
                    await recorder.RecordAsync(callback, cancellationToken);
                }
                await spool.CompleteAsync(path);
                replayed++;
            }
            catch (Exception ex) when (!DatabaseAvailability.IsUnavailable(ex))
            {
                // Refused for good (or a bug of ours): retrying every second would only repeat it,
                // and an exception out of here would stop the replayer for every other file.
                logger.LogError(ex, "Spooled webhook {File} could not be stored ({Reason}); set aside",
                    Path.GetFileName(path), ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.GetType().Name);
                await spool.MoveAsideAsync(path);
            }
        }
        if (replayed > 0)
        {
            logger.LogInformation("Replayed {Count} webhook(s) received while PostgreSQL was unavailable", replayed);
        }
        return replayed;
    }
}
