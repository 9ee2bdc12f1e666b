using Ovrsee.Hosting.Services;

namespace Ovrsee.Hosting.Application;

/// <summary>A service of this repository run as a child process, as Aspire's AddProject does.</summary>
public sealed class ProjectResource : Resource
{
    private readonly ServiceProject _project;
    private readonly List<KeyValuePair<string, Func<string?>>> _environment = [];
    private readonly HttpClient _probe;
    private ServiceProcess? _process;

    internal ProjectResource(string name, ServiceProject project, Uri httpEndpoint) : base(name, "project")
    {
        _project = project;
        HttpEndpoint = httpEndpoint;
        _probe = new HttpClient { BaseAddress = httpEndpoint, Timeout = TimeSpan.FromSeconds(2) };
    }

    public Uri HttpEndpoint { get; }
    public override IReadOnlyList<string> Endpoints => [HttpEndpoint.ToString().TrimEnd('/')];
    public override int? ProcessId => _process?.ProcessId;
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Set by the builder for every project (OTLP settings); the project's own entries win.</summary>
    internal IReadOnlyDictionary<string, string?> SharedEnvironment { get; set; } = new Dictionary<string, string?>();

    public ProjectResource WithEnvironment(string name, string? value) => WithEnvironment(name, () => value);

    /// <summary>A value known only once something else runs (a connection string, a tunnel's URL).</summary>
    public ProjectResource WithEnvironment(string name, Func<string?> value)
    {
        _environment.Add(new(name, value));
        return this;
    }

    public ProjectResource WithEnvironment(IEnumerable<KeyValuePair<string, string?>> values)
    {
        foreach (var (name, value) in values)
        {
            WithEnvironment(name, value);
        }
        return this;
    }

    /// <summary>Aspire's connection string contract: ConnectionStrings__&lt;name&gt;.</summary>
    public ProjectResource WithReference(PostgresDatabaseResource database) =>
        WithEnvironment($"ConnectionStrings__{database.Name}", () => database.ConnectionString);

    /// <summary>Aspire's service discovery contract: services__&lt;name&gt;__&lt;endpoint&gt;__&lt;index&gt;.</summary>
    public ProjectResource WithReference(ProjectResource service) =>
        WithEnvironment($"services__{service.Name}__http__0", service.HttpEndpoint.ToString().TrimEnd('/'));

    /// <summary>The tunnel's URL becomes the base URL Twilio signs, so the service waits for it.</summary>
    public ProjectResource WithPublicBaseUrl(TunnelResource tunnel) =>
        WithEnvironment("Webhooks__PublicBaseUrl", () => tunnel.PublicUrl).WaitFor(tunnel);

    /// <summary>The environment the process gets (resolved now; connection strings exist only once their database is ready).</summary>
    public Dictionary<string, string?> ResolveEnvironment()
    {
        var environment = new Dictionary<string, string?>(SharedEnvironment);
        foreach (var (name, value) in _environment)
        {
            environment[name] = value();
        }
        return environment;
    }

    protected internal override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!LoopbackPort.IsFree(HttpEndpoint.Port))
        {
            throw new InvalidOperationException(
                $"Port {HttpEndpoint.Port} on 127.0.0.1 is in use, so {Name} cannot listen there. Stop what uses it, or choose another port (--{Name}-port).");
        }
        var process = new ServiceProcess(_project, HttpEndpoint, ResolveEnvironment());
        process.OutputReceived += Console.Append;
        process.Exited += exitCode => MarkFailed($"{Name} exited with code {exitCode}", exitCode);
        _process = process;
        process.Start();
        await process.WaitUntilHealthyAsync(HealthTimeout, cancellationToken);
    }

    protected internal override async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _probe.Dispose();
    }

    protected internal override async Task<HealthStatus> ProbeHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _probe.GetAsync("/health", cancellationToken);
            return response.IsSuccessStatusCode ? HealthStatus.Healthy : HealthStatus.Unhealthy;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return HealthStatus.Unhealthy;
        }
    }
}
