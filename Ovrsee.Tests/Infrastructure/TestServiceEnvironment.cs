namespace Ovrsee.Tests.Infrastructure;

/// <summary>The environment a test gives a service process: obvious fake secrets, never real ones.</summary>
public static class TestServiceEnvironment
{
    public const string AuthToken = "test-auth-token-0000000000000000";
    public const string AccountSid = "AC00000000000000000000000000000000";
    public const string JwtSecret = "test-jwt-secret-not-for-production-0000000000";

    public static Dictionary<string, string?> For(string connectionString, string? publicBaseUrl = null) => new()
    {
        ["ConnectionStrings__ovrsee"] = connectionString,
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Twilio__AccountSid"] = AccountSid,
        ["Twilio__AuthToken"] = AuthToken,
        ["Webhooks__PublicBaseUrl"] = publicBaseUrl,
        ["Auth__JwtSecret"] = JwtSecret,
        ["Logging__LogLevel__Default"] = "Warning",
        // The job runner would fetch the recordings tests post from Twilio's real API; the
        // pipeline tests turn it on with their own doubles.
        ["Jobs__Enabled"] = "false",
        // The webhook's database budget (3 s) is about a healthy server; on a machine shared by
        // parallel builds one statement can take longer, and the answer would become voicemail.
        // HungDatabaseTests sets its own 2 s budget: that one is the test of the bound.
        ["Webhooks__DatabaseTimeout"] = "00:00:08",
        // Likewise reconciliation would ask Twilio's real API; its tests run it against a double.
        ["Reconciliation__Enabled"] = "false",
    };
}
