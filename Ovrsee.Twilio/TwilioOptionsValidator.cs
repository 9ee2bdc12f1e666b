using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio;

/// <summary>Shape checks that apply to every consumer of <see cref="TwilioOptions"/>.</summary>
internal sealed partial class TwilioOptionsValidator : IValidateOptions<TwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions options)
    {
        var failures = new List<string>();

        if (!string.IsNullOrEmpty(options.AccountSid) && !AccountSidPattern().IsMatch(options.AccountSid))
        {
            failures.Add("Twilio:AccountSid (TWILIO_ACCOUNT_SID) must look like AC followed by 32 hex characters.");
        }

        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            if (!ApiKeySidPattern().IsMatch(options.ApiKey))
            {
                failures.Add("Twilio:ApiKey (TWILIO_API_KEY) must look like SK followed by 32 hex characters.");
            }

            if (string.IsNullOrEmpty(options.ApiSecret))
            {
                failures.Add("Twilio:ApiSecret (TWILIO_API_SECRET) is required when Twilio:ApiKey is set.");
            }
        }

        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var baseUrl)
            || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("Twilio:BaseUrl must be an absolute http(s) URL.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")]
    private static partial Regex AccountSidPattern();

    [GeneratedRegex("^SK[0-9a-fA-F]{32}$")]
    private static partial Regex ApiKeySidPattern();
}
