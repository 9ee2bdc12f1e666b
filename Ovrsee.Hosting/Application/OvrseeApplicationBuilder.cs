using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Hosting.Services;
using Ovrsee.Hosting.Tunnels;

namespace Ovrsee.Hosting.Application;

/// <summary>
/// Declares the resource graph, in the shape of Aspire's IDistributedApplicationBuilder:
/// <c>AddPostgres(..).AddDatabase(..)</c>, <c>AddProject(..).WithReference(db).WaitFor(db)</c>.
/// </summary>
public sealed class OvrseeApplicationBuilder(ILogger? logger = null)
{
    private readonly List<Resource> _resources = [];
    private readonly Dictionary<string, string?> _sharedEnvironment = [];

    internal ILogger Logger { get; } = logger ?? NullLogger.Instance;
    public IReadOnlyList<Resource> Resources => _resources;

    public PostgresServerResource AddPostgres(string name, LocalPostgresOptions options) =>
        Add(new PostgresServerResource(name, this, options, externalConnectionString: null));

    /// <summary>An existing server (e.g. Supabase): migrated and used, never started or stopped.</summary>
    public PostgresServerResource AddExternalPostgres(string name, string connectionString) =>
        Add(new PostgresServerResource(name, this, local: null, connectionString));

    /// <param name="port">0 picks a free port now, so references can name it before anything starts.</param>
    public ProjectResource AddProject(string name, ServiceProject project, int port = 0) =>
        Add(new ProjectResource(name, project, new Uri($"http://127.0.0.1:{(port == 0 ? LoopbackPort.Free() : port)}/")));

    public TunnelResource AddTunnel(string name, TunnelProvider provider, ProjectResource target) =>
        Add(new TunnelResource(name, provider, target));

    /// <summary>Every project sends traces, logs and metrics there, as under Aspire's dashboard.</summary>
    public OvrseeApplicationBuilder WithOtlpExporter(Uri endpoint, string apiKey)
    {
        _sharedEnvironment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.ToString().TrimEnd('/');
        // The .NET exporter speaks grpc or http/protobuf; the dashboard receives the latter.
        _sharedEnvironment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        _sharedEnvironment["OTEL_EXPORTER_OTLP_HEADERS"] = $"x-otlp-api-key={apiKey}";
        // Aspire's development values: a request shows up about a second after it happened, not five.
        _sharedEnvironment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
        _sharedEnvironment["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
        _sharedEnvironment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        return this;
    }

    public T Add<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' is already declared.");
        }
        _resources.Add(resource);
        return resource;
    }

    /// <summary>Leaves a resource out (a test that needs only part of the system).</summary>
    public void Remove(string name)
    {
        var resource = _resources.SingleOrDefault(r => r.Name == name)
            ?? throw new InvalidOperationException($"No resource named '{name}'. Declared: {string.Join(", ", _resources.Select(r => r.Name))}.");
        if (_resources.FirstOrDefault(r => r.WaitsFor.Contains(resource)) is { } dependent)
        {
            throw new InvalidOperationException($"'{dependent.Name}' waits for '{name}', so '{name}' cannot be left out.");
        }
        _resources.Remove(resource);
    }

    public OvrseeApplication Build()
    {
        foreach (var project in _resources.OfType<ProjectResource>())
        {
            project.SharedEnvironment = new Dictionary<string, string?>(_sharedEnvironment);
        }
        return new OvrseeApplication(StartOrder(), Logger);
    }

    // Dependencies first; declaration order otherwise, so the dashboard lists them as declared.
    private List<Resource> StartOrder()
    {
        var ordered = new List<Resource>();
        var visiting = new HashSet<Resource>();
        void Visit(Resource resource)
        {
            if (ordered.Contains(resource))
            {
                return;
            }
            if (!visiting.Add(resource))
            {
                throw new InvalidOperationException($"'{resource.Name}' waits for itself through {string.Join(" → ", visiting.Select(r => r.Name))}.");
            }
            foreach (var dependency in resource.WaitsFor)
            {
                if (!_resources.Contains(dependency))
                {
                    throw new InvalidOperationException($"'{resource.Name}' waits for '{dependency.Name}', which is not declared.");
                }
                Visit(dependency);
            }
            visiting.Remove(resource);
            ordered.Add(resource);
        }
        _resources.ForEach(Visit);
        return ordered;
    }
}

public static class ResourceExtensions
{
    /// <summary>Start <paramref name="resource"/> only once <paramref name="dependency"/> is healthy (and stop it first).</summary>
    public static T WaitFor<T>(this T resource, Resource dependency) where T : Resource
    {
        resource.AddWaitFor(dependency);
        return resource;
    }
}
