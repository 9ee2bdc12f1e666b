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
            .WithEnvironment(ServiceEnvironment(options))
            .WithEnvironment("Webhooks__Spool__Directory", Path.Combine(options.StateDirectory, "webhook-spool"));

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

    private static Dictionary<string, string?> ServiceEnvironment(OvrseeSystemOptions options) => new(options.ServiceSettings)
    {
        ["ASPNETCORE_ENVIRONMENT"] = options.Environment,
        ["DOTNET_ENVIRONMENT"] = options.Environment,
    };
}
