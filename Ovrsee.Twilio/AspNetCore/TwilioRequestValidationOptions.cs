using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>
/// How <c>.ValidateTwilioRequest()</c> checks a webhook, bound from <c>Twilio:RequestValidation</c>
/// (Twilio.AspNet.Core's section name). The host may fill these from its own settings: the
/// WebhookApi passes its public base URL and body limit.
/// </summary>
public sealed class TwilioRequestValidationOptions
{
    public const string SectionName = "Twilio:RequestValidation";
    public const int DefaultMaxBodyBytes = 64 * 1024;

    // The whole body is buffered to check its signature; anything near this is not from Twilio.
    internal const int MaxAllowedBodyBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The origin (plus optional path prefix) Twilio called, e.g. <c>https://example.ngrok.app</c>,
    /// used instead of the request's own scheme and host, which behind a tunnel or load balancer
    /// are not what Twilio signed (Twilio.AspNet.Core's name).
    /// </summary>
    public string? BaseUrlOverride { get; set; }

    /// <summary>Largest body accepted; Twilio's form posts are a few KB.</summary>
    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;
}

internal sealed class TwilioRequestValidationOptionsValidator : IValidateOptions<TwilioRequestValidationOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioRequestValidationOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.BaseUrlOverride)
            && (!Uri.TryCreate(options.BaseUrlOverride, UriKind.Absolute, out var baseUrl)
                || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(baseUrl.Query)
                || !string.IsNullOrEmpty(baseUrl.Fragment)))
        {
            failures.Add("Twilio:RequestValidation:BaseUrlOverride must be an absolute http(s) URL without query or fragment.");
        }
        if (options.MaxBodyBytes is <= 0 or > TwilioRequestValidationOptions.MaxAllowedBodyBytes)
        {
            failures.Add($"Twilio:RequestValidation:MaxBodyBytes must be between 1 and {TwilioRequestValidationOptions.MaxAllowedBodyBytes}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
