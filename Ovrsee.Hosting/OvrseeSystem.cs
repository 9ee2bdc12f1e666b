using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ovrsee.Data;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Hosting;

/// <summary>
/// The resource graph, in start order: PostgreSQL → database + migrations → WebhookApi and
/// Provisioning, each started once what it needs is ready, and stopped in reverse order.
/// Services receive Aspire's environment contract, so they run the same under a real AppHost.
/// </summary>
public sealed class OvrseeSystem : IAsyncDisposable
{
    public const string DatabaseName = DatabaseExtensions.ConnectionName;
    private readonly ILogger _logger;
    private readonly List<ServiceProcess> _services = [];

    private OvrseeSystem(ILogger logger) => _logger = logger;

    public LocalPostgresServer? Postgres { get; private set; }
    public string ServiceConnectionString { get; private set; } = "";
    public ServiceProcess WebhookApi { get; private set; } = null!;
    public ServiceProcess Provisioning { get; private set; } = null!;
    public IReadOnlyList<ServiceProcess> Services => _services;

    public static async Task<OvrseeSystem> StartAsync(OvrseeSystemOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var system = new OvrseeSystem(logger ?? NullLogger.Instance);
        try
        {
            await system.StartDatabaseAsync(options, cancellationToken);
            system.WebhookApi = system.StartService(ServiceProject.WebhookApi, options.WebhookApiPort, options, references: []);
            system.Provisioning = system.StartService(ServiceProject.Provisioning, options.ProvisioningPort, options, references: [system.WebhookApi]);
            await Task.WhenAll(system._services.Select(s => s.WaitUntilHealthyAsync(options.HealthTimeout, cancellationToken)));
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private async Task StartDatabaseAsync(OvrseeSystemOptions options, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.ExternalConnectionString))
        {
            _logger.LogInformation("Using the PostgreSQL named by ConnectionStrings:ovrsee; no local server is started");
            await using var dataSource = NpgsqlDataSource.Create(options.ExternalConnectionString);
            await new MigrationRunner(dataSource).ApplyAsync(cancellationToken);
            ServiceConnectionString = options.ExternalConnectionString;
            return;
        }

        Postgres = await LocalPostgresServer.StartAsync(new LocalPostgresOptions
        {
            RootDirectory = Path.Combine(options.StateDirectory, "postgres"),
            Port = options.PostgresPort,
            Ephemeral = options.EphemeralDatabase,
        }, _logger, cancellationToken);
        await Postgres.PrepareDatabaseAsync(DatabaseName, cancellationToken);
        ServiceConnectionString = Postgres.ServiceConnectionString(DatabaseName);
    }

    private ServiceProcess StartService(ServiceProject project, int port, OvrseeSystemOptions options, IReadOnlyList<ServiceProcess> references)
    {
        var environment = new Dictionary<string, string?>(options.ServiceSettings)
        {
            [$"ConnectionStrings__{DatabaseName}"] = ServiceConnectionString,
            ["ASPNETCORE_ENVIRONMENT"] = options.Environment,
            ["DOTNET_ENVIRONMENT"] = options.Environment,
        };
        foreach (var reference in references)
        {
            // Aspire's service discovery contract: services__<name>__<endpoint>__<index>.
            environment[$"services__{reference.Name}__http__0"] = reference.HttpEndpoint.ToString().TrimEnd('/');
        }

        var service = new ServiceProcess(project, new Uri($"http://127.0.0.1:{(port == 0 ? LoopbackPort.Free() : port)}/"), environment);
        service.Start();
        _services.Add(service);
        return service;
    }

    /// <summary>Services first, newest first, then the database.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _services.Count - 1; i >= 0; i--)
        {
            await _services[i].DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
