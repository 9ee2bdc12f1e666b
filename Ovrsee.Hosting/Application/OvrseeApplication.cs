using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;

namespace Ovrsee.Hosting.Application;

/// <summary>
/// The running graph: each resource starts once what it waits for is healthy (independent ones
/// in parallel), is watched while it runs, and stops only after everything that waits for it has.
/// </summary>
public sealed class OvrseeApplication : IAsyncDisposable
{
    // Each probe is a /health request the service logs; every few seconds is enough to notice.
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _monitor = Task.CompletedTask;
    private int _stopRequested;

    internal OvrseeApplication(IReadOnlyList<Resource> startOrder, ILogger logger)
    {
        Resources = startOrder;
        _logger = logger;
        foreach (var resource in startOrder)
        {
            resource.Changed += r => ResourceChanged?.Invoke(r);
        }
    }

    /// <summary>In start order.</summary>
    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>Any resource's state or health changed (raised from any thread).</summary>
    public event Action<Resource>? ResourceChanged;

    public T Get<T>(string name) where T : Resource =>
        Resources.OfType<T>().SingleOrDefault(r => r.Name == name)
        ?? throw new KeyNotFoundException($"No {typeof(T).Name} named '{name}'. Resources: {string.Join(", ", Resources.Select(r => r.Name))}.");

    /// <summary>Returns when every resource is healthy; on the first failure stops waiting for the rest and throws it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var started = new Dictionary<Resource, Task>();
        foreach (var resource in Resources)
        {
            started[resource] = StartOneAsync(resource, [.. resource.WaitsFor.Select(d => started[d])], failed);
        }
        try
        {
            await Task.WhenAll(started.Values);
        }
        catch
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cause = started.Values.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause); // with the stack trace of where it failed
            }
            throw;
        }
        _monitor = MonitorAsync(_stopping.Token);
    }

    private async Task StartOneAsync(Resource resource, Task[] dependencies, CancellationTokenSource failed)
    {
        try
        {
            await Task.WhenAll(dependencies);
        }
        catch
        {
            return; // never started: it stays Waiting, and the dependency that failed says why
        }
        failed.Token.ThrowIfCancellationRequested();
        resource.MarkStarting();
        try
        {
            await resource.StartAsync(failed.Token);
            resource.MarkHealthy();
        }
        catch (Exception ex) when (!failed.IsCancellationRequested)
        {
            resource.MarkFailed(ex.Message);
            failed.Cancel();
            throw;
        }
    }

    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ProbeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var resource in Resources.Where(r => r.State == ResourceState.Running))
                {
                    resource.MarkHealth(await resource.ProbeHealthAsync(cancellationToken));
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Reverse order: a resource stops once everything waiting for it has stopped. Safe to call twice.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 1)
        {
            return;
        }
        await _stopping.CancelAsync();
        await _monitor;
        var stopped = new Dictionary<Resource, Task>();
        foreach (var resource in Resources.Reverse())
        {
            var dependents = Resources.Where(d => d.WaitsFor.Contains(resource)).Select(d => stopped[d]).ToArray();
            stopped[resource] = StopOneAsync(resource, dependents);
        }
        await Task.WhenAll(stopped.Values);
    }

    private async Task StopOneAsync(Resource resource, Task[] dependents)
    {
        await Task.WhenAll(dependents);
        // One that never started has nothing running to stop, and no state change worth showing.
        var started = resource.State != ResourceState.Waiting;
        if (started)
        {
            resource.MarkStopping();
        }
        try
        {
            await resource.StopAsync();
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "{Resource} did not stop cleanly", resource.Name);
        }
        if (started)
        {
            resource.MarkStopped();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }
}
