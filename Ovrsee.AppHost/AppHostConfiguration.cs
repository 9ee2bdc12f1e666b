using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Services;
using Ovrsee.Hosting.Tunnels;

namespace Ovrsee.AppHost;

/// <summary>Where the AppHost's settings come from: .env, user-secrets, environment, command line.</summary>
internal static class AppHostConfiguration
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--webhookapi-port"] = "Ports:WebhookApi",
        ["--provisioning-port"] = "Ports:Provisioning",
        ["--postgres-port"] = "Ports:Postgres",
        ["--public-url"] = "Webhooks:PublicBaseUrl",
        ["--dashboard-port"] = "Ports:Dashboard",
        ["--tunnel"] = "Tunnel:Provider",
        ["--configure-number"] = "ConfigureNumber",
        ["--state-dir"] = "StateDirectory",
    };

    // The services' own settings the AppHost passes through, under both the options-section
    // names and the seed's flat environment names.
    private static readonly string[] PassThrough =
    [
        "Twilio:AccountSid", "Twilio:AuthToken", "Twilio:ApiKey", "Twilio:ApiSecret",
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
        "Webhooks:PublicBaseUrl", "NEXT_PUBLIC_APP_URL", "Auth:JwtSecret", "OTEL_EXPORTER_OTLP_ENDPOINT",
    ];

    /// <summary>Later sources win: .env in the repository root, user-secrets, environment, command line.</summary>
    public static IConfigurationRoot Build(string[] args) => new ConfigurationBuilder()
        .AddInMemoryCollection(DotEnvFile.Read(Path.Combine(ServiceProject.RepositoryRoot, ".env")))
        .AddUserSecrets(Assembly.GetExecutingAssembly(), optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args, Switches)
        .Build();

    public static string StateDirectory(IConfiguration configuration) =>
        Path.GetFullPath(configuration["StateDirectory"] ?? Path.Combine(ServiceProject.RepositoryRoot, ".ovrsee"));

    public static int DashboardPort(IConfiguration configuration) =>
        configuration.GetValue("Ports:Dashboard", 18888) is var port and not 0 ? port : LoopbackPort.Free();

    public static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(logging => logging
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
        .SetMinimumLevel(LogLevel.Information));

    public static OvrseeSystemOptions SystemOptions(IConfiguration configuration)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var key in PassThrough)
        {
            if (!string.IsNullOrWhiteSpace(configuration[key]))
            {
                settings[key.Replace(":", "__")] = configuration[key];
            }
        }

        var tunnel = configuration["Tunnel:Provider"] is { Length: > 0 } name ? TunnelProvider.Parse(name) : null;
        if (tunnel is not null && !string.IsNullOrWhiteSpace(configuration["Webhooks:PublicBaseUrl"]))
        {
            throw new ArgumentException("--tunnel and --public-url both name the public URL; use one of them.");
        }

        var stateDirectory = StateDirectory(configuration);
        if (TwilioSettingsCheck.Report(configuration, stateDirectory) is { } devAuthToken)
        {
            settings["Twilio__AuthToken"] = devAuthToken;
        }
        if (string.IsNullOrWhiteSpace(configuration["Auth:JwtSecret"]) && string.IsNullOrWhiteSpace(configuration["Auth:Authority"]))
        {
            settings["Auth__JwtSecret"] = DevToken.DevJwtSecret(stateDirectory);
        }
        if (!string.IsNullOrWhiteSpace(configuration["Auth:Authority"]))
        {
            settings["Auth__Authority"] = configuration["Auth:Authority"];
        }

        return new OvrseeSystemOptions
        {
            StateDirectory = stateDirectory,
            ExternalConnectionString = configuration.GetConnectionString("ovrsee"),
            PostgresPort = configuration.GetValue("Ports:Postgres", 55432),
            // Throwaway runs (tests, CI) trade crash safety for a faster initdb and start.
            EphemeralDatabase = configuration.GetValue("Postgres:Ephemeral", false),
            WebhookApiPort = configuration.GetValue("Ports:WebhookApi", 5180),
            ProvisioningPort = configuration.GetValue("Ports:Provisioning", 5181),
            ServiceSettings = settings,
            Tunnel = tunnel,
        };
    }
}
