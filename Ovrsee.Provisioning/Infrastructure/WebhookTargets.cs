using Microsoft.Extensions.Options;
using Ovrsee.Provisioning.Model;
using Ovrsee.Twilio;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.Twilio.Rest;

namespace Ovrsee.Provisioning.Infrastructure;

/// <summary>The WebhookApi's URLs as Twilio must call them, from Webhooks:PublicBaseUrl.</summary>
public sealed class WebhookTargets(IOptionsMonitor<WebhookOptions> options, IOptionsMonitor<TwilioOptions> twilio)
{
    // The WebhookApi's routes (TwilioWebhooksApi), under its public base URL.
    public const string IncomingCallPath = "/api/aloha/webhooks/incoming-call";
    public const string CallStatusPath = "/api/aloha/webhooks/call-status";

    /// <exception cref="WebhookUrlNotPublicException">The configured URL cannot work for Twilio.</exception>
    public WebhookEndpoints Resolve()
    {
        if (PublicWebhookUrl.Refusal(options.CurrentValue.PublicBaseUrl, out var uri) is { } refusal)
        {
            // A new user usually lacks both: name both, not one per restart.
            if (MissingTwilioCredentials(twilio.CurrentValue) is { } missing)
            {
                throw new WebhookUrlNotPublicException($"Two settings are missing. 1) {missing} 2) {refusal}", twilioAlsoMissing: true);
            }
            throw new WebhookUrlNotPublicException(refusal);
        }
        // Keeps a path prefix (https://host/prefix) and drops a trailing slash.
        var baseUrl = uri!.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new WebhookEndpoints(
            baseUrl + IncomingCallPath,
            baseUrl + CallStatusPath,
            baseUrl + Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath);
    }


    /// <returns>What to set when the REST credentials are missing, else null.</returns>
    public static string? MissingTwilioCredentials(TwilioOptions options)
    {
        var hasSecret = !string.IsNullOrWhiteSpace(options.AuthToken)
            || (!string.IsNullOrWhiteSpace(options.ApiKey) && !string.IsNullOrWhiteSpace(options.ApiSecret));
        return !string.IsNullOrWhiteSpace(options.AccountSid) && hasSecret
            ? null
            : "Twilio's REST API needs Twilio:AccountSid (TWILIO_ACCOUNT_SID) and either Twilio:AuthToken (TWILIO_AUTH_TOKEN) " +
              "or Twilio:ApiKey with Twilio:ApiSecret (TWILIO_API_KEY, TWILIO_API_SECRET).";
    }
}

/// <summary>
/// Twilio posts the incoming call to VoiceUrl and the call's final status to StatusCallback
/// (a number has no StatusCallbackEvent; Twilio sends "completed" and the other end states).
/// </summary>
public sealed record WebhookEndpoints(string VoiceUrl, string StatusCallbackUrl, string HealthUrl)
{
    public const string Method = "POST";

    public IncomingPhoneNumberSettings ToTwilioSettings() => new()
    {
        VoiceUrl = VoiceUrl,
        VoiceMethod = Method,
        StatusCallback = StatusCallbackUrl,
        StatusCallbackMethod = Method,
    };

    public WebhookSetup ToSetup(PublicUrlCheck? check) => new(VoiceUrl, Method, StatusCallbackUrl, Method, check);

    /// <summary>Twilio already sends this number's calls here (e.g. the lost create did set them).</summary>
    public bool AreConfiguredOn(IncomingPhoneNumber number) =>
        number.VoiceUrl == VoiceUrl && number.StatusCallback == StatusCallbackUrl
        && string.Equals(number.VoiceMethod, Method, StringComparison.OrdinalIgnoreCase)
        && string.Equals(number.StatusCallbackMethod, Method, StringComparison.OrdinalIgnoreCase);
}
