using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Ovrsee.AppHost;

/// <summary>Says plainly which Twilio settings are missing, where the others came from, and what still works.</summary>
internal static class TwilioSettingsCheck
{
    public const string DevTokenFile = "dev-twilio-auth-token";

    // (options-section name, the seed's flat name); either one counts.
    private static readonly (string Section, string Flat)[] Settings =
    [
        ("Twilio:AccountSid", "TWILIO_ACCOUNT_SID"),
        ("Twilio:AuthToken", "TWILIO_AUTH_TOKEN"),
        ("Twilio:ApiKey", "TWILIO_API_KEY"),
        ("Twilio:ApiSecret", "TWILIO_API_SECRET"),
    ];

    /// <returns>A local stand-in Auth Token when none is configured, else null.</returns>
    public static string? Report(IConfiguration configuration, string stateDirectory, TextWriter? output = null)
    {
        output ??= Console.Out;
        var found = Settings.ToDictionary(s => s.Flat, s => Source(configuration, s.Section) ?? Source(configuration, s.Flat));
        var missing = found.Where(f => f.Value is null).Select(f => f.Key).ToList();
        var present = string.Join(", ", found.Where(f => f.Value is not null).Select(f => $"{f.Key} ({f.Value})"));
        if (missing.Count == 0)
        {
            output.WriteLine($"Twilio settings: {present}.");
            return null;
        }

        output.WriteLine($"Twilio settings missing: {string.Join(", ", missing)}{(present.Length > 0 ? $"; found {present}" : "")}.");
        if (missing.Contains("TWILIO_AUTH_TOKEN"))
        {
            output.WriteLine("  Without TWILIO_AUTH_TOKEN real Twilio webhooks are refused (403: the signature cannot be checked). A local dev token");
            output.WriteLine($"  is used instead, in {Path.Combine(stateDirectory, DevTokenFile)}: scripts/test-incoming-call.sh and local tests sign with it.");
        }
        if (missing.Contains("TWILIO_ACCOUNT_SID"))
        {
            output.WriteLine("  Without TWILIO_ACCOUNT_SID Provisioning cannot search, buy or configure numbers.");
        }
        if (missing.Contains("TWILIO_API_KEY") || missing.Contains("TWILIO_API_SECRET"))
        {
            output.WriteLine("  Without TWILIO_API_KEY and TWILIO_API_SECRET, REST calls authenticate with the Account SID and Auth Token (fine for development).");
        }
        output.WriteLine("  Still works: webhooks signed with the token in use, the calls API, the dashboard, everything local.");
        output.WriteLine("  Set them with 'dotnet user-secrets --project Ovrsee.AppHost set Twilio:AuthToken <token>', the environment, or KEY=VALUE lines in .env.");

        return missing.Contains("TWILIO_AUTH_TOKEN") ? DevToken(stateDirectory) : null;
    }

    /// <summary>Which source a value came from (the last one holding it wins, as in configuration); null when unset.</summary>
    private static string? Source(IConfiguration configuration, string key)
    {
        if (string.IsNullOrWhiteSpace(configuration[key]))
        {
            return null;
        }
        if (configuration is not IConfigurationRoot root)
        {
            return "configuration";
        }
        var provider = root.Providers.Reverse().FirstOrDefault(p => p.TryGet(key, out var value) && !string.IsNullOrWhiteSpace(value));
        return provider switch
        {
            CommandLineConfigurationProvider => "command line",
            EnvironmentVariablesConfigurationProvider => "environment",
            JsonConfigurationProvider => "user-secrets",
            _ when provider?.GetType().Namespace == "DotNetEnv.Configuration" => ".env",
            _ => "configuration",
        };
    }

    private static string DevToken(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, DevTokenFile);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        }
        return File.ReadAllText(path).Trim();
    }
}
