using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ovrsee.Twilio.AspNetCore;

public static class ValidateTwilioRequestExtensions
{
    /// <summary>
    /// Rejects requests not signed by Twilio before the handler runs (see
    /// <see cref="ValidateTwilioRequestFilter"/>). Works on a single endpoint or a route group.
    /// Requires <c>services.AddTwilioWebhookValidation(configuration)</c>.
    /// </summary>
    public static TBuilder ValidateTwilioRequest<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, ValidateTwilioRequestFilter>();
}
