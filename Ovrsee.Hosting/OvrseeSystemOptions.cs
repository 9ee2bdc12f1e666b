namespace Ovrsee.Hosting;

public sealed class OvrseeSystemOptions
{
    /// <summary>State kept between runs (PostgreSQL data, endpoints file). Git-ignored.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>0 picks a free port.</summary>
    public int PostgresPort { get; init; } = 55432;
    public int WebhookApiPort { get; init; } = 5180;
    public int ProvisioningPort { get; init; } = 5181;
    public bool EphemeralDatabase { get; init; }
    public string Environment { get; init; } = "Development";

    /// <summary>Extra settings for both services (Twilio credentials, public URL, OTLP endpoint...).</summary>
    public IDictionary<string, string?> ServiceSettings { get; init; } = new Dictionary<string, string?>();

    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(90);
}
