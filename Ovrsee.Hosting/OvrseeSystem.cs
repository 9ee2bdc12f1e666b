using Microsoft.Extensions.Logging;
using Ovrsee.Data;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Hosting;

/// <summary>
/// PostgreSQL, migrations and both built services as plain processes, without Aspire's
/// orchestrator: for the benchmarks, which measure the services and nothing else. The system
/// developers run is Ovrsee.AppHost.
/// </summary>
public static class OvrseeSystem
{
    public const string DatabaseName = DatabaseExtensions.ConnectionName;

    public static async Task<Running> StartAsync(OvrseeSystemOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var postgres = await LocalPostgresServer.StartAsync(new LocalPostgresOptions
        {
            RootDirectory = Path.Combine(options.StateDirectory, "postgres"),
            Port = options.PostgresPort,
            Ephemeral = options.EphemeralDatabase,
        }, logger, cancellationToken);
        var running = new Running(postgres);
        try
        {
            await postgres.PrepareDatabaseAsync(DatabaseName, cancellationToken);
            var environment = new Dictionary<string, string?>(options.ServiceSettings)
            {
                ["ConnectionStrings__ovrsee"] = postgres.ServiceConnectionString(DatabaseName),
                ["ASPNETCORE_ENVIRONMENT"] = options.Environment,
                ["DOTNET_ENVIRONMENT"] = options.Environment,
                ["Webhooks__Spool__Directory"] = Path.Combine(options.StateDirectory, "webhook-spool"),
            };
            running.WebhookApi = await StartServiceAsync(ServiceProject.WebhookApi, options.WebhookApiPort, environment, options.HealthTimeout, cancellationToken);
            environment["services__webhookapi__http__0"] = running.WebhookApi.HttpEndpoint.ToString().TrimEnd('/');
            running.Provisioning = await StartServiceAsync(ServiceProject.Provisioning, options.ProvisioningPort, environment, options.HealthTimeout, cancellationToken);
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    private static async Task<ServiceProcess> StartServiceAsync(ServiceProject project, int port, IDictionary<string, string?> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var service = new ServiceProcess(project, new Uri($"http://127.0.0.1:{(port == 0 ? LoopbackPort.Free() : port)}/"), environment);
        service.Start();
        await service.WaitUntilHealthyAsync(timeout, cancellationToken);
        return service;
    }

    /// <summary>A started system; disposing it stops the services, then PostgreSQL.</summary>
    public sealed class Running(LocalPostgresServer postgres) : IAsyncDisposable
    {
        public LocalPostgresServer Postgres { get; } = postgres;
        public ServiceProcess WebhookApi { get; internal set; } = null!;
        public ServiceProcess Provisioning { get; internal set; } = null!;

        public async ValueTask DisposeAsync()
        {
            foreach (var service in new[] { Provisioning, WebhookApi })
            {
                if (service is not null)
                {
                    await service.DisposeAsync();
                }
            }
            await Postgres.DisposeAsync();
        }
    }
}
