using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>The <c>Recordings:Retention</c> section.</summary>
public sealed class RecordingRetentionOptions
{
    public const string SectionName = "Recordings:Retention";

    /// <summary>Time between sweeps. Retention is counted in days, so hourly is plenty.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Voicemails deleted per transaction.</summary>
    public int BatchSize { get; set; } = 100;
}

public sealed class RecordingRetentionOptionsValidator : IValidateOptions<RecordingRetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RecordingRetentionOptions options)
    {
        var failures = new List<string>();
        if (options.Interval < TimeSpan.FromMilliseconds(100) || options.Interval > TimeSpan.FromDays(1))
        {
            failures.Add("Recordings:Retention:Interval must be between 100 ms and 1 day.");
        }
        if (options.BatchSize is < 1 or > 10000)
        {
            failures.Add("Recordings:Retention:BatchSize must be between 1 and 10000.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// recordings.retention: one standing job, run by whichever replica claims it, that deletes the
/// voicemails older than their workspace's recording_retention_days, blob and rows together, then
/// re-queues itself for the next sweep. Per batch, in one transaction: lock the expired voicemails
/// (SKIP LOCKED), delete their blobs, delete their rows (voicemail with transcript and summary, its
/// voicemail-* timeline events, which carry Twilio's transcript and recording URL, and its jobs),
/// commit. A blob that cannot be deleted rolls the batch back, so no row ever outlives its promise
/// by hiding a recording we still hold; a commit that fails after the blobs went leaves rows whose
/// blobs are already gone, and the next sweep finishes them. The call itself stays.
/// </summary>
public sealed class RecordingRetentionJob(
    NpgsqlDataSource dataSource,
    IRecordingStorage storage,
    IOptionsMonitor<RecordingRetentionOptions> options,
    ILogger<RecordingRetentionJob> logger) : IJobHandler
{
    public const string DedupeKey = "sweep";

    public string Kind => VoicemailJobs.RecordingRetention;

    // Voicemails with a job running right now are left for the next sweep: the job may be
    // writing their blob.
    private const string ExpiredSql = $"""
        SELECT v.id, v.storage_path
        FROM voicemail_messages v JOIN workspaces w ON w.id = v.workspace_id
        WHERE w.recording_retention_days IS NOT NULL
          AND v.created_at < now() - make_interval(days => w.recording_retention_days)
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.payload->>'{VoicemailJobs.PayloadKey}' = v.id::text AND j.state = 'running')
        ORDER BY v.created_at
        LIMIT $1
        FOR UPDATE OF v SKIP LOCKED
        """;

    private const string DeleteSql = $"""
        WITH gone AS (
            DELETE FROM voicemail_messages WHERE id = ANY($1) RETURNING id, call_sid, recording_sid
        ),
        events AS (
            DELETE FROM call_events e USING gone
            WHERE e.call_sid = gone.call_sid AND e.kind LIKE 'voicemail-%'
              AND (e.dedupe_key = gone.recording_sid OR e.dedupe_key LIKE gone.recording_sid || ':%'
                   OR e.payload->>'RecordingSid' = gone.recording_sid)
        )
        DELETE FROM jobs j USING gone WHERE j.payload->>'{VoicemailJobs.PayloadKey}' = gone.id::text
        """;

    public async Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var total = 0;
        while (true)
        {
            var deleted = await SweepBatchAsync(settings.BatchSize, cancellationToken);
            total += deleted;
            if (deleted < settings.BatchSize)
            {
                break;
            }
        }
        if (total > 0)
        {
            logger.LogInformation("Retention deleted {Count} expired voicemail recordings with their transcripts", total);
        }
        return JobResult.RunAgainAfter(settings.Interval, "next retention sweep");
    }

    /// <returns>How many voicemails were deleted.</returns>
    public async Task<int> SweepBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await SystemPath.BeginTransactionAsync(connection, cancellationToken);

        var expired = new List<(Guid Id, string? StoragePath)>();
        await using (var select = new NpgsqlCommand(ExpiredSql, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = batchSize, NpgsqlDbType = NpgsqlDbType.Integer });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                expired.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }
        if (expired.Count == 0)
        {
            return 0;
        }

        foreach (var (_, storagePath) in expired)
        {
            if (storagePath is not null)
            {
                await storage.DeleteAsync(storagePath, cancellationToken);
            }
        }

        await using (var delete = new NpgsqlCommand(DeleteSql, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = expired.Select(e => e.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return expired.Count;
    }
}

/// <summary>
/// Makes sure the standing retention job exists on start-up, and revives it if it ever died
/// (a sweep that failed MaxAttempts times must not end retention for good).
/// </summary>
public sealed class RecordingRetentionScheduler(NpgsqlDataSource dataSource, IOptions<JobsOptions> jobs, ILogger<RecordingRetentionScheduler> logger) : BackgroundService
{
    private const string EnsureSql = $"""
        INSERT INTO jobs (kind, dedupe_key) VALUES ('{VoicemailJobs.RecordingRetention}', '{RecordingRetentionJob.DedupeKey}')
        ON CONFLICT (kind, dedupe_key) DO UPDATE SET state = 'queued', attempts = 0, run_after = now(), updated_at = now()
        WHERE jobs.state IN ('dead', 'succeeded')
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!jobs.Value.Enabled)
        {
            return;
        }
        // PostgreSQL may not be up yet when the replica is: try until it is.
        for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(1).Ticks)))
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await using var batch = SystemPath.CreateBatch(connection, EnsureSql);
                await batch.ExecuteNonQueryAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not schedule the recording retention sweep yet: {Message}", ex.Message);
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
