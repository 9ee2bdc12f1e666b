using Microsoft.Extensions.Logging;
using Ovrsee.Data;
using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Hosting;

/// <summary>
/// The resource graph, declared once for the AppHost and the tests (as an Aspire AppHost's
/// Program.cs is): PostgreSQL → database and its migrations → WebhookApi and Provisioning, each
/// waiting for what it needs to be healthy. With a tunnel, both services also wait for its URL.
/// </summary>
public static class OvrseeSystem
{
    public const string DatabaseName = DatabaseExtensions.ConnectionName;
    public const string Postgres = "postgres";
    public const string WebhookApi = "webhookapi";
    public const string Provisioning = "provisioning";
    public const string Tunnel = "tunnel";

    public static OvrseeApplicationBuilder Declare(OvrseeApplicationBuilder builder, OvrseeSystemOptions options)
    {
        var postgres = string.IsNullOrWhiteSpace(options.ExternalConnectionString)
            ? builder.AddPostgres(Postgres, new LocalPostgresOptions
            {
                RootDirectory = Path.Combine(options.StateDirectory, "postgres"),
                Port = options.PostgresPort,
                Ephemeral = options.EphemeralDatabase,
            })
            : builder.AddExternalPostgres(Postgres, options.ExternalConnectionString);
        var database = postgres.AddDatabase(DatabaseName);

        var webhookApi = builder.AddProject(WebhookApi, ServiceProject.WebhookApi, options.WebhookApiPort)
            .WithReference(database).WaitFor(database)
            .WithEnvironment("Webhooks__Spool__Directory", Path.Combine(options.StateDirectory, "webhook-spool"))
            .WithEnvironment(ServiceEnvironment(options)); // later entries win: explicit settings over these defaults

        var provisioning = builder.AddProject(Provisioning, ServiceProject.Provisioning, options.ProvisioningPort)
            .WithReference(database).WaitFor(database)
            .WithReference(webhookApi)
            .WithEnvironment(ServiceEnvironment(options));

        if (options.Tunnel is { } provider)
        {
            var tunnel = builder.AddTunnel(Tunnel, provider, webhookApi);
            webhookApi.WithPublicBaseUrl(tunnel);
            provisioning.WithPublicBaseUrl(tunnel);
        }

        webhookApi.HealthTimeout = provisioning.HealthTimeout = options.HealthTimeout;
        return builder;
    }

    /// <summary>
    /// Declares and starts the graph, returning once everything is healthy: for callers that want
    /// the system and nothing more (benchmarks, end-to-end tests). The AppHost adds its dashboard.
    /// </summary>
    public static async Task<Running> StartAsync(OvrseeSystemOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var application = Declare(new OvrseeApplicationBuilder(logger), options).Build();
        try
        {
            await application.StartAsync(cancellationToken);
        }
        catch
        {
            await application.DisposeAsync();
            throw;
        }
        return new Running(application);
    }

    /// <summary>A started system; disposing it stops everything in reverse order.</summary>
    public sealed class Running(OvrseeApplication application) : IAsyncDisposable
    {
        public OvrseeApplication Application { get; } = application;
        /// <summary>The local server; null when ConnectionStrings:ovrsee named an existing one.</summary>
        public LocalPostgresServer? Postgres => Application.Get<PostgresServerResource>(OvrseeSystem.Postgres).Server;
        public ProjectResource WebhookApi => Application.Get<ProjectResource>(OvrseeSystem.WebhookApi);
        public ProjectResource Provisioning => Application.Get<ProjectResource>(OvrseeSystem.Provisioning);

        public ValueTask DisposeAsync() => Application.DisposeAsync();
    }

    private static Dictionary<string, string?> ServiceEnvironment(OvrseeSystemOptions options) => new(options.ServiceSettings)
    {
        ["ASPNETCORE_ENVIRONMENT"] = options.Environment,
        ["DOTNET_ENVIRONMENT"] = options.Environment,
    };
}
