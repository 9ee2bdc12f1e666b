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
        // Likewise reconciliation would ask Twilio's real API; its tests run it against a double.
        ["Reconciliation__Enabled"] = "false",
    };
}
