using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.Webhooks;

public sealed class GroupCommitOptions
{
    /// <summary>Off: every callback is its own transaction (one commit, one WAL flush each).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Transactions in flight at once, each on its own pooled connection.</summary>
    [Range(1, 64)]
    public int Writers { get; set; } = 2;

    /// <summary>Callbacks sharing one transaction at most.</summary>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 64;
}

/// <summary>
/// Group commit for the webhook write path. PostgreSQL's ceiling is commits (WAL flushes), not
/// statements: callbacks that arrive while a transaction is in flight wait for the next one and
/// share it — one round trip, one transaction, one flush for all of them. Nothing waits on
/// purpose: a lone callback goes out at once; batches form only under load, as large as the
/// load makes them.
/// Every guarantee of the single-callback path holds: a caller is answered only after the
/// transaction that holds its callback committed; the statements stay idempotent and
/// order-independent, so a duplicate in the same batch or a retry converges; a statement that
/// fails takes only its own callback down (the batch is retried one by one); and when
/// PostgreSQL is unreachable each caller gets the exception and spools as before.
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    private readonly CallbackRecorder _database;
    private readonly GroupCommitOptions _options;
    private readonly TimeSpan _databaseTimeout;
    private readonly ILogger<GroupCommit> _logger;
    private readonly Channel<PendingCallback> _queue = Channel.CreateUnbounded<PendingCallback>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _writers;

    public GroupCommit(CallbackRecorder database, IOptions<GroupCommitOptions> options, IOptions<WebhookRecorderOptions> recorderOptions, ILogger<GroupCommit> logger)
    {
        _database = database;
        _options = options.Value;
        _databaseTimeout = recorderOptions.Value.DatabaseTimeout;
        _logger = logger;
        // The writers serve every request: they must not inherit the context (and so the trace) of
        // the request that happened to create this singleton. Each batch gets its own span instead.
        using (ExecutionContext.SuppressFlow())
        {
            _writers = _options.Enabled
                ? Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray()
                : [];
        }
    }

    /// <returns>The call as stored for incoming-call and call-status; null for voicemail callbacks.</returns>
    /// <remarks>Completes only after the callback's transaction committed. Cancelling stops the wait, not the write.</remarks>
    public async Task<IncomingCallRecord?> RecordAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return (await _database.RecordManyAsync([callback], cancellationToken))[0];
        }
        var pending = new PendingCallback(callback, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommit), "The service is stopping.");
        }
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingCallback>(_options.MaxBatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var pending))
            {
                // A caller that stopped waiting (timed out and spooled, or hung up) is not written twice.
                if (!pending.CancellationToken.IsCancellationRequested)
                {
                    batch.Add(pending);
                }
            }
            if (batch.Count > 0)
            {
                await WriteAsync(batch);
            }
        }
    }

    private async Task WriteAsync(List<PendingCallback> batch)
    {
        // The same lock order in every transaction (rows are keyed by CallSid), so two batches in
        // flight never wait on each other's rows in opposite orders.
        batch.Sort(static (a, b) => string.CompareOrdinal(a.Callback.CallSid, b.Callback.CallSid));
        using var activity = StartBatchActivity(batch);
        try
        {
            using var timeout = new CancellationTokenSource(_databaseTimeout);
            var results = await _database.RecordManyAsync(batch.ConvertAll(p => p.Callback), timeout.Token);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (PostgresException ex) when ((batch.Count > 1 && !DatabaseAvailability.IsUnavailable(ex)) || ex.SqlState == PostgresErrorCodes.DeadlockDetected)
        {
            // One statement failed and rolled the others back with it: each alone, so only the
            // failing callback fails (its caller gets the error; the others commit).
            _logger.LogWarning("A group commit of {Count} callbacks failed ({SqlState}); writing them one by one", batch.Count, ex.SqlState);
            foreach (var pending in batch)
            {
                await WriteAloneAsync(pending);
            }
        }
        catch (Exception ex)
        {
            // PostgreSQL is unreachable (or the batch timed out): every caller spools its own callback.
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private async Task WriteAloneAsync(PendingCallback pending)
    {
        if (pending.CancellationToken.IsCancellationRequested)
        {
            pending.Completion.TrySetCanceled(pending.CancellationToken);
            return;
        }
        using var activity = StartBatchActivity([pending]);
        try
        {
            using var timeout = new CancellationTokenSource(_databaseTimeout);
            pending.Completion.TrySetResult((await _database.RecordManyAsync([pending.Callback], timeout.Token))[0]);
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Requests still in flight are written before the service stops.
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private static readonly ActivitySource Tracing = new("Ovrsee.WebhookApi.GroupCommit");

    /// <summary>
    /// A batch's span (its statements nest under it) belongs to the first callback's request trace
    /// and links the others', so every webhook's trace leads to the transaction that stored it.
    /// </summary>
    private static Activity? StartBatchActivity(List<PendingCallback> batch)
    {
        if (!Tracing.HasListeners())
        {
            return null;
        }
        var links = batch.Count > 1 ? batch.Skip(1).Where(p => p.Trace != default).Select(p => new ActivityLink(p.Trace)).ToList() : null;
        var activity = Tracing.StartActivity("group commit", ActivityKind.Internal, batch[0].Trace, links: links);
        activity?.SetTag("ovrsee.group_commit.size", batch.Count);
        return activity;
    }

    private sealed record PendingCallback(TwilioCallback Callback, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<IncomingCallRecord?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The request's trace, where the batch that stores this callback is reported.</summary>
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;
    }
}
