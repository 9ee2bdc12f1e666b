namespace Ovrsee.Hosting.Application;

public enum ResourceState { Waiting, Starting, Running, Failed, Stopping, Stopped }

public enum HealthStatus { Unknown, Healthy, Unhealthy }

/// <summary>
/// One node of the graph, what Aspire calls a resource: it knows its state, health, endpoints
/// and console output. The application starts it once everything it waits for is healthy.
/// </summary>
public abstract class Resource(string name, string type)
{
    private readonly Lock _lock = new();
    private readonly HashSet<Resource> _waitsFor = [];

    public string Name { get; } = name;
    /// <summary>postgres, database, project or tunnel.</summary>
    public string Type { get; } = type;
    public ResourceState State { get; private set; }
    public HealthStatus Health { get; private set; }
    public int? ExitCode { get; private set; }
    /// <summary>Why the resource failed, in a sentence.</summary>
    public string? Error { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public virtual int? ProcessId => null;
    public virtual IReadOnlyList<string> Endpoints => [];
    public ResourceConsole Console { get; } = new();
    public IReadOnlyCollection<Resource> WaitsFor => _waitsFor;

    /// <summary>State and health in one word, as the console and the dashboard show it.</summary>
    public string Status => (State, Health) switch
    {
        (ResourceState.Running, HealthStatus.Healthy) => "healthy",
        (ResourceState.Running, HealthStatus.Unhealthy) => "unhealthy",
        _ => State.ToString().ToLowerInvariant(),
    };

    /// <summary>Raised after every change of state or health (from any thread).</summary>
    public event Action<Resource>? Changed;

    /// <summary>Start this resource only once <paramref name="dependency"/> is healthy.</summary>
    internal void AddWaitFor(Resource dependency)
    {
        if (dependency != this)
        {
            _waitsFor.Add(dependency);
        }
    }

    /// <summary>Starts the resource and returns once it is healthy; throws if it cannot get there.</summary>
    protected internal abstract Task StartAsync(CancellationToken cancellationToken);

    protected internal abstract Task StopAsync();

    /// <summary>Asked every few seconds while running; a probe must be quick and must not throw.</summary>
    protected internal virtual Task<HealthStatus> ProbeHealthAsync(CancellationToken cancellationToken) => Task.FromResult(Health);

    internal void MarkStarting() => Update(() =>
    {
        State = ResourceState.Starting;
        StartedAt = DateTimeOffset.Now;
    });

    internal void MarkHealthy() => Update(() =>
    {
        if (State == ResourceState.Starting)
        {
            State = ResourceState.Running;
            Health = HealthStatus.Healthy;
        }
    });

    internal void MarkHealth(HealthStatus health) => Update(() =>
    {
        if (State == ResourceState.Running)
        {
            Health = health;
        }
    });

    internal void MarkStopping() => Update(() =>
    {
        if (State is not (ResourceState.Failed or ResourceState.Stopped))
        {
            State = ResourceState.Stopping;
        }
    });

    internal void MarkStopped() => Update(() =>
    {
        if (State != ResourceState.Failed)
        {
            State = ResourceState.Stopped;
            Health = HealthStatus.Unknown;
        }
    });

    /// <summary>The resource is gone or never came up; it stays failed until the AppHost stops.</summary>
    protected internal void MarkFailed(string error, int? exitCode = null) => Update(() =>
    {
        if (State is ResourceState.Stopping or ResourceState.Stopped or ResourceState.Failed)
        {
            return;
        }
        State = ResourceState.Failed;
        Health = HealthStatus.Unknown;
        // The first line says why; what follows in exception messages is output the console already has.
        Error = error.Split('\n')[0];
        ExitCode = exitCode;
        Console.Append($"[apphost] {Error}");
    });

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
        }
        Changed?.Invoke(this);
    }
}
