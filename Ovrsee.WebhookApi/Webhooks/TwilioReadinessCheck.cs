using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Ovrsee.WebhookApi.Webhooks;

/// <summary>
/// Readiness means "this replica can answer Twilio", which it can while either place a webhook
/// goes to takes a write: the spool (checked first, it is the fallback) or PostgreSQL. Only when
/// neither does within the budget is the replica taken out of rotation. The database alone never
/// decides: in an outage every replica's spool is exactly what should be answering.
/// </summary>
public sealed class TwilioReadinessCheck(WebhookSpool spool, NpgsqlDataSource dataSource) : IHealthCheck
{
    // Not "ready": ServiceDefaults tags the database check with that, and the database must not decide here.
    public const string ReadyTag = "can-answer-twilio";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var spoolFailure = await TryAsync(WriteSpoolProbeAsync, cancellationToken);
        if (spoolFailure is null)
        {
            return HealthCheckResult.Healthy();
        }
        var databaseFailure = await TryAsync(PingDatabaseAsync, cancellationToken);
        return databaseFailure is null
            ? HealthCheckResult.Degraded($"The webhook spool ({spool.DirectoryPath}) is not writable; webhooks depend on PostgreSQL alone.", spoolFailure)
            : HealthCheckResult.Unhealthy($"Neither the webhook spool ({spool.DirectoryPath}) nor PostgreSQL takes a write within {Budget.TotalSeconds:0} s.", spoolFailure);
    }

    private static async Task<Exception?> TryAsync(Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Budget);
        // Run detached and waited on with a deadline: a hung disk or server must not hang the probe.
        var attempt = Task.Run(() => probe(deadline.Token), CancellationToken.None);
        try
        {
            await attempt.WaitAsync(Budget, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException or NpgsqlException or OperationCanceledException)
        {
            _ = attempt.ContinueWith(static finished => _ = finished.Exception, TaskScheduler.Default);
            return ex;
        }
    }

    private async Task WriteSpoolProbeAsync(CancellationToken cancellationToken)
    {
        var probe = Path.Combine(spool.DirectoryPath, $".ready-{Environment.ProcessId}-{Guid.NewGuid():N}.probe");
        await using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough))
        {
            await stream.WriteAsync(new byte[] { 1 }, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Delete(probe);
    }

    private async Task PingDatabaseAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
