using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Data;
using Ovrsee.WebhookApi.Events;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <summary>
/// Turns outbox events into deliveries: reads the events after the persisted dispatch cursor
/// (migration 0130), inserts one delivery per enabled endpoint of the event's workspace that
/// subscribes to its type, and advances the cursor in the same transaction, holding the cursor row
/// locked. Each event therefore gets exactly one delivery per endpoint, across restarts and any
/// number of replicas. A replica that finds the cursor locked does not queue behind it (#15: with
/// two processes their fan-outs spent 4–8 ms each waiting on the row, a backend and a transaction
/// held all along, and then mostly read what the other had just fanned out): it skips, and tries
/// again after <see cref="CursorBusyRetry"/>, by when the holder has committed. The holder reads
/// everything committed before its snapshot, and whatever commits later wakes it again (its NOTIFY
/// reaches every replica), so skipping loses nothing; the retry only bounds the latency should the
/// holder stop waiting for wakes. Woken by LISTEN/NOTIFY (<see cref="EventSignal"/>), with a slow
/// fallback tick.
/// </summary>
public sealed class WebhookFanOut(
    NpgsqlDataSource dataSource, DomainEventLog events, EventSignal signal, WebhookSenderSignal sender,
    IOptions<OutboundWebhookOptions> options, ILogger<WebhookFanOut> logger) : BackgroundService
{
    private const string LockCursorSql = "SELECT tx_id::text, position FROM webhook_dispatch_cursor FOR UPDATE SKIP LOCKED";

    /// <summary>How long a replica that found another fanning out waits before it looks again.</summary>
    public static readonly TimeSpan CursorBusyRetry = TimeSpan.FromMilliseconds(100);

    private const string InsertDeliveriesSql = """
        INSERT INTO webhook_deliveries (endpoint_id, workspace_id, event_id, event_tx_id, event_position, event_type, call_log_id, call_seq)
        SELECT ep.id, ev.workspace_id, ev.id, ev.tx_id, ev.position, ev.type, ev.call_log_id, ev.call_seq
        FROM domain_events ev
        JOIN webhook_endpoints ep
          ON ep.workspace_id = ev.workspace_id
         AND ep.enabled
         AND (cardinality(ep.event_types) = 0 OR ev.type = ANY (ep.event_types))
        WHERE ev.position = ANY ($1)
        ORDER BY ev.tx_id, ev.position
        ON CONFLICT (endpoint_id, event_id) DO NOTHING
        """;

    private const string AdvanceCursorSql = "UPDATE webhook_dispatch_cursor SET tx_id = $1::text::xid8, position = $2, updated_at = now()";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before reading: a notification that arrives while we read wakes the next wait.
            var next = signal.Next;
            try
            {
                var (read, queued, cursorBusy) = await FanOutBatchAsync(settings.FanOutBatchSize, stoppingToken);
                delay = TimeSpan.FromSeconds(1);
                if (cursorBusy)
                {
                    await Task.Delay(CursorBusyRetry, stoppingToken);
                    continue;
                }
                if (queued > 0)
                {
                    sender.Wake();
                }
                if (read == settings.FanOutBatchSize)
                {
                    continue;
                }
                await Task.WhenAny(next, Task.Delay(settings.FanOutFallbackInterval, stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Fanning out domain events to webhook endpoints failed; retrying in {Delay}.", delay);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <returns>Events read, deliveries queued for them, and whether another replica held the cursor (then nothing was read).</returns>
    public async Task<(int Read, int Queued, bool CursorBusy)> FanOutBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await SystemPath.BeginTransactionAsync(connection, cancellationToken);
        EventCursor cursor;
        await using (var lockCursor = new NpgsqlCommand(LockCursorSql, connection, transaction))
        await using (var reader = await lockCursor.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                await transaction.RollbackAsync(cancellationToken);
                return (0, 0, true);
            }
            cursor = new EventCursor(ulong.Parse(reader.GetString(0), CultureInfo.InvariantCulture), reader.GetInt64(1));
        }

        // Read on another connection: the horizon there is at most our own transaction's id, so a
        // transaction that started after we took the lock is simply read in the next batch.
        var batch = await events.ReadAsync(cursor, batchSize, cancellationToken);
        if (batch.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (0, 0, false);
        }

        int queued;
        await using (var insert = new NpgsqlCommand(InsertDeliveriesSql, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Position).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            queued = await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        var last = batch[^1].Cursor;
        await using (var advance = new NpgsqlCommand(AdvanceCursorSql, connection, transaction))
        {
            advance.Parameters.Add(new NpgsqlParameter { Value = last.TxId.ToString(CultureInfo.InvariantCulture), NpgsqlDbType = NpgsqlDbType.Text });
            advance.Parameters.Add(new NpgsqlParameter { Value = last.Position, NpgsqlDbType = NpgsqlDbType.Bigint });
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (batch.Count, queued, false);
    }
}

/// <summary>Wakes this process's sender when deliveries were queued, re-sent or an attempt finished.</summary>
public sealed class WebhookSenderSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next => Volatile.Read(ref _next).Task;

    public void Wake() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
