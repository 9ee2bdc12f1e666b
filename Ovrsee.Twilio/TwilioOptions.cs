namespace Ovrsee.Twilio;

/// <summary>
/// Twilio account credentials, bound from the <c>Twilio</c> configuration section
/// (with the seed's flat <c>TWILIO_*</c> names as a fallback, see <see cref="TwilioOptionsServiceCollectionExtensions"/>).
/// </summary>
public sealed class TwilioOptions
{
    public const string SectionName = "Twilio";
    public const string DefaultBaseUrl = "https://api.twilio.com";

    public string? AccountSid { get; set; }

    /// <summary>Primary Auth Token: the key Twilio signs webhooks with, and REST basic-auth password.</summary>
    public string? AuthToken { get; set; }

    /// <summary>
    /// Further tokens accepted for webhook signatures while a rotation is in progress
    /// (Twilio's secondary token, or the old one until every webhook has drained).
    /// </summary>
    public string[] AdditionalAuthTokens { get; set; } = [];

    public string? ApiKey { get; set; }

    public string? ApiSecret { get; set; }

    public string BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>
    /// Every non-empty token a webhook signature may have been made with, primary first.
    /// A method rather than a property so configuration binding never round-trips it.
    /// </summary>
    public IReadOnlyList<string> GetWebhookAuthTokens()
    {
        var tokens = new List<string>(1 + AdditionalAuthTokens.Length);
        if (!string.IsNullOrWhiteSpace(AuthToken))
        {
            tokens.Add(AuthToken);
        }

        foreach (var token in AdditionalAuthTokens)
        {
            if (!string.IsNullOrWhiteSpace(token) && !tokens.Contains(token, StringComparer.Ordinal))
            {
                tokens.Add(token);
            }
        }

        return tokens;
    }

    // Options objects end up in debugger views, exception messages and structured logs;
    // secrets must never ride along.
    public override string ToString() =>
        $"TwilioOptions {{ AccountSid = {AccountSid ?? "(unset)"}, AuthToken = {Redacted(AuthToken)}, " +
        $"AdditionalAuthTokens = {AdditionalAuthTokens.Length} configured, ApiKey = {ApiKey ?? "(unset)"}, " +
        $"ApiSecret = {Redacted(ApiSecret)}, BaseUrl = {BaseUrl} }}";

    private static string Redacted(string? secret) => string.IsNullOrEmpty(secret) ? "(unset)" : "***";
}
