using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Services;

namespace Ovrsee.AppHost;

/// <summary>Where the AppHost's settings come from: user-secrets, environment, command line.</summary>
internal static class AppHostConfiguration
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--webhookapi-port"] = "Ports:WebhookApi",
        ["--provisioning-port"] = "Ports:Provisioning",
        ["--postgres-port"] = "Ports:Postgres",
        ["--public-url"] = "Webhooks:PublicBaseUrl",
    };

    // The services' own settings the AppHost passes through, under both the options-section
    // names and the seed's flat environment names.
    private static readonly string[] PassThrough =
    [
        "Twilio:AccountSid", "Twilio:AuthToken", "Twilio:ApiKey", "Twilio:ApiSecret",
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
        "Webhooks:PublicBaseUrl", "NEXT_PUBLIC_APP_URL", "Auth:JwtSecret", "OTEL_EXPORTER_OTLP_ENDPOINT",
    ];

    public static IConfiguration Build(string[] args) => new ConfigurationBuilder()
        .AddUserSecrets(Assembly.GetExecutingAssembly(), optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args, Switches)
        .Build();

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

        var stateDirectory = Path.Combine(ServiceProject.RepositoryRoot, ".ovrsee");
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
            WebhookApiPort = configuration.GetValue("Ports:WebhookApi", 5180),
            ProvisioningPort = configuration.GetValue("Ports:Provisioning", 5181),
            ServiceSettings = settings,
        };
    }
}
