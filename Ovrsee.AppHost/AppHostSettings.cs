using DotNetEnv.Configuration;
using Microsoft.Extensions.Configuration;
using Ovrsee.AppHost.Tunnels;

namespace Ovrsee.AppHost;

/// <summary>What the AppHost's configuration says, read once (sources: .env, user-secrets, environment, command line; later wins).</summary>
internal sealed record AppHostSettings(
    string RepositoryRoot, string StateDirectory, int? WebhookApiPort, int? ProvisioningPort, int? PostgresPort,
    string PostgresContainer, bool EphemeralDatabase, string? PostgresBinDirectory, string? ExternalConnectionString,
    TunnelProvider? Tunnel, string? ConfigureNumber, string RecordingStorage, string? ExternalRecordingsConnectionString)
{
    /// <summary>Adds .env (lowest priority) and our command-line switches to the builder's configuration.</summary>
    public static void AddSources(IConfigurationManager configuration, string repositoryRoot, string[] args)
    {
        var envFile = Path.Combine(repositoryRoot, ".env");
        if (File.Exists(envFile))
        {
            configuration.AddDotNetEnv(envFile, DotNetEnv.LoadOptions.NoEnvVars());
            var dotEnv = configuration.Sources[^1];
            configuration.Sources.RemoveAt(configuration.Sources.Count - 1);
            configuration.Sources.Insert(0, dotEnv);
        }
        configuration.AddCommandLine(args, AppHostCommandLine.Switches);
    }

    public static AppHostSettings From(IConfiguration configuration, string repositoryRoot) => new(
        repositoryRoot,
        StateDirectory: Path.GetFullPath(configuration["StateDirectory"] ?? Path.Combine(repositoryRoot, ".ovrsee"), repositoryRoot),
        WebhookApiPort: Port(configuration, "Ports:WebhookApi", 5180),
        ProvisioningPort: Port(configuration, "Ports:Provisioning", 5181),
        PostgresPort: Port(configuration, "Ports:Postgres", 55432),
        PostgresContainer: configuration["Postgres:Container"] ?? "auto",
        // Throwaway runs (tests) trade crash safety for a faster initdb and start.
        EphemeralDatabase: configuration.GetValue("Postgres:Ephemeral", false),
        PostgresBinDirectory: configuration["Postgres:BinDirectory"],
        ExternalConnectionString: configuration.GetConnectionString("ovrsee"),
        Tunnel: TunnelProvider.TryParse(configuration["Tunnel:Provider"] ?? "", out var tunnel) ? tunnel : null,
        ConfigureNumber: configuration["ConfigureNumber"] is { Length: > 0 } id ? id : null,
        RecordingStorage: (configuration["RecordingStorage"] ?? "auto").ToLowerInvariant(),
        ExternalRecordingsConnectionString: configuration.GetConnectionString("recordings"));

    /// <summary>0 means any free port (null to Aspire).</summary>
    private static int? Port(IConfiguration configuration, string key, int fallback) =>
        configuration.GetValue(key, fallback) is var port and not 0 ? port : null;
}
