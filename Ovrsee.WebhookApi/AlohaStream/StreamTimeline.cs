using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>One row for call_events. (call_sid, kind, dedupe_key) makes a repeated write a no-op.</summary>
public sealed record TimelineEvent(
    Guid CallLogId,
    Guid WorkspaceId,
    string CallSid,
    string Kind,
    string DedupeKey,
    DateTimeOffset OccurredAt,
    IReadOnlyDictionary<string, object?> Payload);

/// <summary>
/// Writes stream events to the call's timeline without ever making audio wait: sessions enqueue
/// (a non-blocking TryWrite into one bounded channel for the process) and a single background
/// writer inserts them in batches, in the order they were enqueued, through SystemPath (a stream
/// knows its CallSid, not a tenant scope). When the queue is full or PostgreSQL stays away, events
/// are dropped with a warning: the timeline is a record of the call, not what keeps it working.
/// The one event the call depends on, agent-handled, is written directly and awaited instead
/// (<see cref="WriteNowAsync"/>).
/// </summary>
public sealed class StreamTimeline : BackgroundService
{
    private const int MaxBatch = 256;
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    // A call deleted meanwhile (its workspace was) has nowhere to put its events: skipped, so the
    // foreign key does not fail the other calls' events in the batch.
    private static readonly NamedSql InsertSql = NamedSql.Parse("""
        INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, occurred_at, dedupe_key, payload)
        SELECT e.* FROM unnest(@call_log_ids::uuid[], @workspace_ids::uuid[], @call_sids::text[], @kinds::text[],
                               @occurred_at::timestamptz[], @dedupe_keys::text[], @payloads::jsonb[])
            AS e (call_log_id, workspace_id, call_sid, kind, occurred_at, dedupe_key, payload)
        WHERE EXISTS (SELECT FROM call_logs c WHERE c.id = e.call_log_id)
        ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        """);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<StreamTimeline> _logger;
    private readonly Channel<TimelineEvent> _queue;
    private long _dropped;

    public StreamTimeline(NpgsqlDataSource dataSource, IOptions<AlohaStreamOptions> options, ILogger<StreamTimeline> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _queue = Channel.CreateBounded<TimelineEvent>(new BoundedChannelOptions(options.Value.TimelineQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Never waits. False when the queue is full (the event is dropped and counted).</summary>
    public bool Enqueue(TimelineEvent entry)
    {
        if (_queue.Writer.TryWrite(entry))
        {
            return true;
        }
        if (Interlocked.Increment(ref _dropped) % 1000 == 1)
        {
            _logger.LogWarning("Stream timeline queue full; dropped {Kind} for {CallSid} ({Dropped} dropped so far)", entry.Kind, entry.CallSid, Dropped);
        }
        return false;
    }

    /// <summary>Writes one event now, for callers that must know it is stored.</summary>
    public async Task WriteNowAsync(TimelineEvent entry, CancellationToken cancellationToken)
    {
        await InsertAsync([entry], cancellationToken);
    }

    /// <summary>Writes one event now; false when an event with its key was already there (a claim someone else holds).</summary>
    public async Task<bool> TryClaimNowAsync(TimelineEvent entry, CancellationToken cancellationToken) =>
        await InsertAsync([entry], cancellationToken) == 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<TimelineEvent>(MaxBatch);
        var reader = _queue.Reader;
        // Keeps draining after stoppingToken fires (StopAsync completes the channel), so events
        // of streams that ended during shutdown are still written within the host's grace period.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }
            await WriteWithRetriesAsync(batch);
            batch.Clear();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteWithRetriesAsync(List<TimelineEvent> batch)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await InsertAsync(batch, timeout.Token);
                return;
            }
            catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && attempt < RetryDelays.Length)
            {
                await Task.Delay(RetryDelays[attempt]);
            }
            catch (Exception ex) when (!DatabaseAvailability.IsUnavailable(ex) && batch.Count > 1)
            {
                // Something in the batch is wrong (a race with a deletion, a bug): one at a time,
                // so only the event at fault is lost.
                _logger.LogWarning(ex, "A batch of {Count} stream timeline events failed; writing them one by one", batch.Count);
                foreach (var entry in batch)
                {
                    await WriteWithRetriesAsync([entry]);
                }
                return;
            }
            catch (Exception ex)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                _logger.LogError(ex, "Could not write {Count} stream timeline events; they are dropped", batch.Count);
                return;
            }
        }
    }

    /// <returns>How many of the events were new.</returns>
    private async Task<int> InsertAsync(IReadOnlyList<TimelineEvent> events, CancellationToken cancellationToken)
    {
        var count = events.Count;
        var callLogIds = new Guid[count];
        var workspaceIds = new Guid[count];
        var callSids = new string[count];
        var kinds = new string[count];
        var occurredAt = new DateTime[count];
        var dedupeKeys = new string[count];
        var payloads = new string[count];
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            callLogIds[i] = e.CallLogId;
            workspaceIds[i] = e.WorkspaceId;
            callSids[i] = e.CallSid;
            kinds[i] = e.Kind;
            occurredAt[i] = e.OccurredAt.UtcDateTime;
            dedupeKeys[i] = e.DedupeKey;
            payloads[i] = JsonSerializer.Serialize(e.Payload);
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, InsertSql.Text, InsertSql.Bind()
            .Set("call_log_ids", callLogIds, NpgsqlDbType.Array | NpgsqlDbType.Uuid)
            .Set("workspace_ids", workspaceIds, NpgsqlDbType.Array | NpgsqlDbType.Uuid)
            .Set("call_sids", callSids, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("kinds", kinds, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("occurred_at", occurredAt, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            .Set("dedupe_keys", dedupeKeys, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("payloads", payloads, NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            .ToArray());
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return batch.BatchCommands[^1].RecordsAffected;
    }
}
