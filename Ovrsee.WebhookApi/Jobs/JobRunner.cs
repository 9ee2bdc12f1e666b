using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.Jobs;

/// <summary>
/// Runs due jobs from PostgreSQL, up to <see cref="JobsOptions.Concurrency"/> at a time, on every
/// replica. A job is claimed with a lease that a heartbeat renews while it runs; a replica that
/// dies simply stops renewing, and its jobs become due again when their leases expire. On a
/// graceful stop the runner cancels what it is doing and hands those jobs straight back.
/// </summary>
public sealed class JobRunner : BackgroundService
{
    private readonly JobStore _store;
    private readonly IServiceScopeFactory _scopes;
    private readonly JobsOptions _options;
    private readonly ILogger<JobRunner> _logger;
    private readonly ConcurrentDictionary<Guid, RunningJob> _running = new();
    private readonly SemaphoreSlim _wake = new(0);

    public JobRunner(JobStore store, IServiceScopeFactory scopes, IOptions<JobsOptions> options, ILogger<JobRunner> logger)
    {
        _store = store;
        _scopes = scopes;
        _options = options.Value;
        _logger = logger;
        // Unique per runner instance (not per machine): two runners in one process must not
        // be able to complete each other's jobs.
        RunnerId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    public string RunnerId { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }
        // Only kinds this build can run are claimed, so during a rolling deploy an older replica
        // leaves a newer kind to the replicas that know it.
        string[] kinds;
        using (var scope = _scopes.CreateScope())
        {
            kinds = scope.ServiceProvider.GetServices<IJobHandler>().Select(h => h.Kind).Distinct().ToArray();
        }
        if (kinds.Length == 0)
        {
            return;
        }

        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(heartbeatStop.Token);
        var listener = ListenAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Whatever woke us is about to be claimed: earlier wake-ups need no second look.
                while (_wake.Wait(0))
                {
                }
                var free = _options.Concurrency - _running.Count;
                var claimed = free > 0 ? await ClaimAndStartAsync(kinds, free, stoppingToken) : 0;
                // A full batch means more may be due: claim again at once rather than after a poll.
                if (claimed > 0 && claimed == free)
                {
                    continue;
                }
                try
                {
                    // Woken by a notification (new work), a finished job (a free slot), the next
                    // queued job's due time (a retry), or at the latest by the safety-net poll.
                    var wait = free > 0 ? await UntilNextDueAsync(kinds, stoppingToken) : _options.PollInterval;
                    await _wake.WaitAsync(wait, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        finally
        {
            await listener;
            foreach (var job in _running.Values)
            {
                job.Stop(StopReason.Shutdown);
            }
            await Task.WhenAll(_running.Values.Select(j => j.Completion));
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }
    }

    private async Task<TimeSpan> UntilNextDueAsync(string[] kinds, CancellationToken stoppingToken)
    {
        try
        {
            var due = await _store.NextDueInAsync(kinds, stoppingToken);
            return due is { } wait && wait < _options.PollInterval ? wait : _options.PollInterval;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // The claim just above reported the outage, if any; wait a normal poll.
            _logger.LogDebug(ex, "Could not read when the next job is due");
            return _options.PollInterval;
        }
    }

    /// <summary>
    /// Keeps a LISTEN connection open so new work wakes the runner at once. While PostgreSQL is
    /// unreachable the runner falls back to its poll, and this reconnects in the background.
    /// </summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _store.ListenAsync(Wake, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (failures++ == 0)
                {
                    _logger.LogWarning("Not listening for new jobs ({Message}); polling every {PollInterval} until PostgreSQL answers again", ex.Message, _options.PollInterval);
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A notification raced the runner's disposal.
        }
    }

    private async Task<int> ClaimAndStartAsync(string[] kinds, int free, CancellationToken stoppingToken)
    {
        IReadOnlyList<ClaimedJob> jobs;
        try
        {
            jobs = await _store.ClaimAsync(RunnerId, free, kinds, _options.LeaseDuration, _options.MaxAttempts, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex))
        {
            _logger.LogWarning("Could not claim jobs: PostgreSQL is unavailable ({Message})", ex.Message);
            return 0;
        }
        catch (Exception ex)
        {
            // A faulted BackgroundService stops the host, webhooks included; jobs can wait a poll.
            _logger.LogError(ex, "Could not claim jobs");
            return 0;
        }

        foreach (var job in jobs)
        {
            var running = new RunningJob(job, _options.JobTimeout);
            _running[job.Id] = running;
            running.Completion = Task.Run(() => RunAsync(running), CancellationToken.None);
        }
        return jobs.Count;
    }

    private async Task RunAsync(RunningJob running)
    {
        var job = running.Job;
        // A scope per job: handlers use typed HttpClients, which must not live as long as the runner.
        await using var scope = _scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetServices<IJobHandler>().First(h => h.Kind == job.Kind);
        try
        {
            var result = await handler.RunAsync(job, running.Token);
            var held = result switch
            {
                JobResult.NotYet notYet => await _store.RequeueAsync(RunnerId, job, notYet.Delay, CancellationToken.None),
                _ => await _store.CompleteAsync(RunnerId, job, CancellationToken.None),
            };
            if (!held)
            {
                _logger.LogWarning("Job {JobId} ({Kind}) finished after this runner lost its lease; another runner owns it now", job.Id, job.Kind);
            }
        }
        catch (OperationCanceledException) when (running.Token.IsCancellationRequested && running.Reason == StopReason.Shutdown)
        {
            // Not the job's fault: hand it back so another replica can start it now, not after the lease.
            try
            {
                await _store.RequeueAsync(RunnerId, job, TimeSpan.Zero, CancellationToken.None);
            }
            catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex))
            {
                _logger.LogWarning("Could not hand back job {JobId} on shutdown; it is retried when its lease expires ({Message})", job.Id, ex.Message);
            }
        }
        catch (OperationCanceledException) when (running.Token.IsCancellationRequested && running.Reason == StopReason.LeaseLost)
        {
            _logger.LogWarning("Job {JobId} ({Kind}) was stopped: this runner no longer holds its lease", job.Id, job.Kind);
        }
        catch (Exception ex)
        {
            var timedOut = ex is OperationCanceledException && running.Token.IsCancellationRequested;
            var error = timedOut ? $"Timed out after {_options.JobTimeout} (Jobs:JobTimeout)." : Describe(ex);
            await FailAsync(job, handler, error, permanent: ex is PermanentJobException);
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            running.Dispose();
            Wake();
        }
    }

    private async Task FailAsync(ClaimedJob job, IJobHandler handler, string error, bool permanent)
    {
        try
        {
            var state = await _store.FailAsync(RunnerId, job, error, permanent, _options.RetryDelay(job.Attempt), handler, CancellationToken.None);
            if (state == "dead")
            {
                _logger.LogError("Job {JobId} ({Kind}) is dead after attempt {Attempt}: {Error}", job.Id, job.Kind, job.Attempt, error);
            }
            else if (state is not null)
            {
                _logger.LogWarning("Job {JobId} ({Kind}) attempt {Attempt} failed, will retry: {Error}", job.Id, job.Kind, job.Attempt, error);
            }
        }
        catch (Exception ex)
        {
            // The lease runs out and the job is retried then; the attempt still counts.
            _logger.LogError(ex, "Could not record the failure of job {JobId} ({Kind}); it is retried when its lease expires", job.Id, job.Kind);
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.LeaseDuration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var snapshot = _running.Values.ToList();
                try
                {
                    var held = await _store.RenewAsync(RunnerId, snapshot.Select(r => r.Job).ToList(), _options.LeaseDuration, cancellationToken);
                    foreach (var running in snapshot.Where(r => !held.Contains(r.Job.Id)))
                    {
                        running.Stop(StopReason.LeaseLost);
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // Leases not renewed may expire; whoever claims a job then runs it again, which is safe.
                    _logger.LogWarning(ex, "Could not renew job leases");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    // What operators see in jobs.last_error: the failure, not a stack trace.
    private static string Describe(Exception ex)
    {
        var message = ex is PermanentJobException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
        if (ex.InnerException is { } inner && !message.Contains(inner.Message, StringComparison.Ordinal))
        {
            message += $" ({inner.GetType().Name}: {inner.Message})";
        }
        return message.Length <= 2000 ? message : message[..2000];
    }

    private enum StopReason
    {
        None,
        Shutdown,
        LeaseLost,
    }

    private sealed class RunningJob : IDisposable
    {
        private readonly CancellationTokenSource _cancellation;
        private int _reason;

        public RunningJob(ClaimedJob job, TimeSpan timeout)
        {
            Job = job;
            _cancellation = new CancellationTokenSource(timeout);
        }

        public ClaimedJob Job { get; }
        public CancellationToken Token => _cancellation.Token;
        public Task Completion { get; set; } = Task.CompletedTask;

        /// <summary>None while the token fired only because the attempt timed out.</summary>
        public StopReason Reason => (StopReason)Volatile.Read(ref _reason);

        public void Stop(StopReason reason)
        {
            Interlocked.CompareExchange(ref _reason, (int)reason, (int)StopReason.None);
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Finished in the meantime.
            }
        }

        public void Dispose() => _cancellation.Dispose();
    }
}
