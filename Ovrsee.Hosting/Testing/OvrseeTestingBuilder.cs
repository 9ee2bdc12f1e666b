using System.Security.Cryptography;
using Ovrsee.Hosting.Application;

namespace Ovrsee.Hosting.Testing;

/// <summary>
/// In the spirit of Aspire.Hosting.Testing's DistributedApplicationTestingBuilder: the AppHost's
/// own graph (<see cref="OvrseeSystem"/>) on free ports, with a throwaway PostgreSQL in a temporary
/// folder and obviously fake Twilio credentials.
/// <code>
/// var appHost = OvrseeTestingBuilder.Create();
/// await using var app = await appHost.BuildAsync();
/// await app.StartAsync();
/// using var http = app.CreateHttpClient("webhookapi");
/// </code>
/// </summary>
public sealed class OvrseeTestingBuilder
{
    /// <summary>Shaped like a real Account SID so validation passes; no such account exists.</summary>
    public const string FakeAccountSid = "AC00000000000000000000000000000000";

    private readonly HashSet<string> _without = [];

    private OvrseeTestingBuilder() { }

    public static OvrseeTestingBuilder Create() => new();

    /// <summary>
    /// What every service gets on top of the graph's own environment. A fresh Auth Token and JWT
    /// secret per application; change or add entries before <see cref="BuildAsync"/>.
    /// </summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Twilio__AccountSid"] = FakeAccountSid,
        ["Twilio__AuthToken"] = "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        // The calls API's bearer tokens (HS256, as Supabase signs them) are checked with this.
        ["Auth__JwtSecret"] = "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public OvrseeTestingBuilder WithSetting(string key, string? value)
    {
        Settings[key] = value;
        return this;
    }

    /// <summary>Starts the system without this resource (e.g. "provisioning"); nothing left may wait for it.</summary>
    public OvrseeTestingBuilder WithoutResource(string name)
    {
        _without.Add(name);
        return this;
    }

    public Task<OvrseeTestApplication> BuildAsync()
    {
        // Created by whatever first writes there (PostgreSQL's data, the webhook spool); removed on dispose.
        var root = Path.Combine(Path.GetTempPath(), "ovrsee-testing", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        var options = new OvrseeSystemOptions
        {
            StateDirectory = root,
            PostgresPort = 0,
            WebhookApiPort = 0,
            ProvisioningPort = 0,
            EphemeralDatabase = true,
            ServiceSettings = new Dictionary<string, string?>(Settings),
            HealthTimeout = TimeSpan.FromSeconds(60),
        };
        var builder = OvrseeSystem.Declare(new OvrseeApplicationBuilder(), options);
        foreach (var name in _without)
        {
            builder.Remove(name);
        }
        return Task.FromResult(new OvrseeTestApplication(builder.Build(), root, options.ServiceSettings));
    }
}
