using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio;

/// <summary>
/// Opt-in check for hosts that validate webhooks: without a token every Twilio request
/// would be rejected, so fail at start-up instead of on the first call.
/// </summary>
internal sealed class AuthTokenRequiredValidator : IValidateOptions<TwilioOptions>
{
    public const string Message =
        "Twilio:AuthToken (or the TWILIO_AUTH_TOKEN environment variable) is required to validate Twilio webhook signatures.";

    public ValidateOptionsResult Validate(string? name, TwilioOptions options) =>
        string.IsNullOrWhiteSpace(options.AuthToken)
            ? ValidateOptionsResult.Fail(Message)
            : ValidateOptionsResult.Success;
}
