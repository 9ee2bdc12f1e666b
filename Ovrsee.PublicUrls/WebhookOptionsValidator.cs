using System.Net;
using Microsoft.Extensions.Options;

namespace Ovrsee.PublicUrls;

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    // The whole body is buffered to check its signature; anything near this is not from Twilio.
    public const int MaxAllowedBodyBytes = 4 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var failures = new List<string>();

        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl)
            && (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var baseUrl)
                || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(baseUrl.Query)
                || !string.IsNullOrEmpty(baseUrl.Fragment)))
        {
            failures.Add("Webhooks:PublicBaseUrl (NEXT_PUBLIC_APP_URL) must be an absolute http(s) URL without query or fragment.");
        }

        if (options.MaxBodyBytes is <= 0 or > MaxAllowedBodyBytes)
        {
            failures.Add($"Webhooks:MaxBodyBytes must be between 1 and {MaxAllowedBodyBytes}.");
        }

        foreach (var proxy in options.TrustedProxies)
        {
            if (!IPAddress.TryParse(proxy, out _) && !IPNetwork.TryParse(proxy, out _))
            {
                failures.Add($"Webhooks:TrustedProxies entry '{proxy}' is neither an IP address nor a CIDR range.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
