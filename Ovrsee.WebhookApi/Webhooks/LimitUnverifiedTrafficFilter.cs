using System.Globalization;
using Ovrsee.Twilio;
using Ovrsee.Twilio.AspNetCore;

namespace Ovrsee.WebhookApi.Webhooks;

/// <summary>
/// Sits outside the signature check on every Twilio-facing endpoint. A request without
/// X-Twilio-Signature spends a permit of its address's budget before anything is read; a request
/// whose signature turned out wrong spends one afterwards (knowing costs one bounded body read and
/// one HMAC, and skipping it could refuse Twilio). Over budget, the answer is 429 with Retry-After
/// instead of the 403. A request that passed the signature check is never counted or refused here:
/// the database is protected by its bounded pool and the recorder's time budget instead.
/// </summary>
public sealed partial class LimitUnverifiedTrafficFilter(UnverifiedTrafficLimiter limiter, ILogger<LimitUnverifiedTrafficFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var source = http.Connection.RemoteIpAddress;
        if (!http.Request.Headers.ContainsKey(TwilioSignature.HeaderName) && !limiter.TrySpend(source, out var retryAfter))
        {
            return TooManyRequests(http, retryAfter);
        }

        var result = await next(context);
        if (IsUnverifiedRejection(http, result) && http.Request.Headers.ContainsKey(TwilioSignature.HeaderName) && !limiter.TrySpend(source, out retryAfter))
        {
            return TooManyRequests(http, retryAfter);
        }
        return result;
    }

    // The signature filter's refusals (and the stream's 403) carry one of these and leave no TwilioRequest behind.
    private static bool IsUnverifiedRejection(HttpContext http, object? result) =>
        http.Features.Get<TwilioRequest>() is null
        && result is IStatusCodeHttpResult { StatusCode: 400 or 403 or 413 or 415 };

    private IResult TooManyRequests(HttpContext http, TimeSpan retryAfter)
    {
        LogLimited(logger, http.Connection.RemoteIpAddress?.ToString(), http.Request.Path.Value);
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Results.StatusCode(StatusCodes.Status429TooManyRequests);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Unverified requests from {Source} over their budget; {Path} answered 429")]
    private static partial void LogLimited(ILogger logger, string? source, string? path);
}
