using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace Ovrsee.Twilio.AspNetCore;

public static class TwilioHttpContextExtensions
{
    /// <summary>The verified Twilio request; throws if the endpoint lacks <c>.ValidateTwilioRequest()</c>.</summary>
    public static TwilioRequest GetTwilioRequest(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<TwilioRequest>()
            ?? throw new InvalidOperationException(
                "No verified Twilio request on this HttpContext. Add .ValidateTwilioRequest() to the endpoint or its group.");
    }

    public static bool TryGetTwilioRequest(this HttpContext context, [NotNullWhen(true)] out TwilioRequest? request)
    {
        ArgumentNullException.ThrowIfNull(context);
        request = context.Features.Get<TwilioRequest>();
        return request is not null;
    }
}
