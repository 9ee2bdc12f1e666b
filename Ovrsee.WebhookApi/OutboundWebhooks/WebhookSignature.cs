using System.Security.Cryptography;
using StandardWebhooks;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <summary>
/// Standard Webhooks signing secrets and headers. A secret is <c>whsec_</c> + base64 of 32 random
/// bytes (the key is the decoded bytes). The signature is the served StandardWebhooks package's:
/// <c>v1,</c> + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")). During a
/// rotation's grace period the header carries two space-separated signatures, the new secret's
/// first; a receiver accepts the request if any one verifies with the secret it holds.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static byte[] Key(string secret) =>
        secret.StartsWith(SecretPrefix, StringComparison.Ordinal)
            ? Convert.FromBase64String(secret[SecretPrefix.Length..])
            : throw new FormatException("A webhook secret starts with whsec_.");

    /// <summary>The webhook-signature header value: one signature per secret still signing.</summary>
    public static string Sign(string webhookId, DateTimeOffset timestamp, string body, string secret, string? previousSecret)
    {
        var current = new StandardWebhook(Key(secret)).Sign(webhookId, timestamp, body);
        return previousSecret is null
            ? current
            : current + " " + new StandardWebhook(Key(previousSecret)).Sign(webhookId, timestamp, body);
    }
}
