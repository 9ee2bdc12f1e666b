using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace Ovrsee.AppHost;

/// <summary>Says plainly which Twilio settings are missing and what still works without them.</summary>
internal static class TwilioSettingsCheck
{
    public const string DevTokenFile = "dev-twilio-auth-token";

    /// <returns>A local stand-in Auth Token when none is configured, else null.</returns>
    public static string? Report(IConfiguration configuration, string stateDirectory)
    {
        string? Setting(string section, string flat) =>
            string.IsNullOrWhiteSpace(configuration[section]) ? configuration[flat] : configuration[section];

        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(Setting("Twilio:AccountSid", "TWILIO_ACCOUNT_SID"))) missing.Add("TWILIO_ACCOUNT_SID");
        var authToken = Setting("Twilio:AuthToken", "TWILIO_AUTH_TOKEN");
        if (string.IsNullOrWhiteSpace(authToken)) missing.Add("TWILIO_AUTH_TOKEN");
        var hasApiKey = !string.IsNullOrWhiteSpace(Setting("Twilio:ApiKey", "TWILIO_API_KEY"));
        if (missing.Count == 0)
        {
            return null;
        }

        Console.WriteLine($"Twilio settings missing: {string.Join(", ", missing)}");
        Console.WriteLine("  Set them with 'dotnet user-secrets --project Ovrsee.AppHost set Twilio:AuthToken <token>', the environment, or a .env file.");
        if (string.IsNullOrWhiteSpace(authToken))
        {
            Console.WriteLine("  Without the Auth Token real Twilio webhooks are refused (403). A local dev token is used instead, in");
            Console.WriteLine($"  .ovrsee/{DevTokenFile}: scripts/test-incoming-call.sh and local tests sign with it.");
        }
        if (missing.Contains("TWILIO_ACCOUNT_SID") && !hasApiKey)
        {
            Console.WriteLine("  Without the Account SID, Provisioning cannot search, buy or configure numbers; webhooks and the calls API still work.");
        }

        if (!string.IsNullOrWhiteSpace(authToken))
        {
            return null;
        }
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, DevTokenFile);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        }
        return File.ReadAllText(path).Trim();
    }
}
