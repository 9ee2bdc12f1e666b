using HttpMethod = Twilio.Http.HttpMethod;
using Microsoft.Extensions.Options;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace Ovrsee.Provisioning.WebhookConfiguration;

/// <summary>The WebhookApi's URLs as Twilio must call them, from Webhooks:PublicBaseUrl (refused unless public https: <see cref="PublicWebhookUrl"/>).</summary>
public sealed class WebhookTargets(IOptionsMonitor<WebhookOptions> options, IOptionsMonitor<TwilioOptions> twilio)
{
    // Twilio's connection overrides, a URL fragment Twilio reads and strips before it calls (so
    // it is neither sent nor signed): https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides
    // ct/rt connect and read timeouts (ms), rc retries, rp what is retried: connect timeouts, read
    // timeouts and 5xx, never 4xx (our 400/403 are definitive). Every webhook write is idempotent,
    // so a retried request after a lost answer changes nothing.
    /// <summary>The caller is waiting: fail over fast (2 s to connect, 5 s to answer; our database wait is 3 s), retry twice.</summary>
    public const string IncomingCallOverrides = "#ct=2000&rt=5000&rc=2&rp=ct,rt,5xx";

    /// <summary>Nobody waits on a status callback: more patience and more retries (10 s to answer, 5 retries).</summary>
    public const string CallStatusOverrides = "#ct=2000&rt=10000&rc=5&rp=ct,rt,5xx";

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
            baseUrl + WebhookRoutes.IncomingCall + IncomingCallOverrides,
            baseUrl + WebhookRoutes.CallStatus + CallStatusOverrides,
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

    /// <summary>
    /// Buying <paramref name="phoneNumber"/> with these webhooks. Only parameters Twilio's
    /// CreateIncomingPhoneNumberRequest declares; deliberately no StatusCallbackEvent (numbers have none).
    /// </summary>
    public CreateIncomingPhoneNumberOptions ToCreate(string phoneNumber) => new()
    {
        PhoneNumber = new PhoneNumber(phoneNumber),
        VoiceUrl = new Uri(VoiceUrl),
        VoiceMethod = HttpMethod.Post,
        StatusCallback = new Uri(StatusCallbackUrl),
        StatusCallbackMethod = HttpMethod.Post,
    };

    /// <summary>Pointing an existing number (<paramref name="sid"/>) at these webhooks.</summary>
    public UpdateIncomingPhoneNumberOptions ToUpdate(string sid) => new(sid)
    {
        VoiceUrl = new Uri(VoiceUrl),
        VoiceMethod = HttpMethod.Post,
        StatusCallback = new Uri(StatusCallbackUrl),
        StatusCallbackMethod = HttpMethod.Post,
    };

    public WebhookSetup ToSetup(PublicUrlCheck? check) => new(VoiceUrl, Method, StatusCallbackUrl, Method, check);

    /// <summary>Twilio already sends this number's calls here (e.g. the lost create did set them).</summary>
    public bool AreConfiguredOn(IncomingPhoneNumberResource number) =>
        number.VoiceUrl?.OriginalString == VoiceUrl && number.StatusCallback?.OriginalString == StatusCallbackUrl
        && string.Equals(number.VoiceMethod?.ToString(), Method, StringComparison.OrdinalIgnoreCase)
        && string.Equals(number.StatusCallbackMethod?.ToString(), Method, StringComparison.OrdinalIgnoreCase);
}
