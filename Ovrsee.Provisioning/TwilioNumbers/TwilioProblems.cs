using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Twilio.Rest;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Ovrsee.Provisioning.TwilioNumbers;

/// <summary>
/// What a Twilio failure means to our caller, as Problem Details that carry Twilio's code
/// (<c>twilioCode</c>, <c>twilioStatus</c>, <c>moreInfo</c>). Never a 500:
/// <list type="bullet">
/// <item>21422 (number not available) → 409: the request was fine, the number is taken. Search again.</item>
/// <item>other Twilio 4xx refusals → 422, with Twilio's message.</item>
/// <item>Twilio rejecting our credentials (401/403) → 502: our configuration, not the caller's request.</item>
/// <item>rate limited, 5xx, timeouts, open circuit, unconfirmed purchase → 503, with Retry-After when known.</item>
/// <item>Twilio or the public URL not configured → 503 saying which setting to fix.</item>
/// </list>
/// </summary>
public static class TwilioProblems
{
    public sealed record Mapped(ProblemDetails Problem, TimeSpan? RetryAfter);

    public static Mapped? From(Exception exception) => exception switch
    {
        TwilioApiException { Code: TwilioApiException.PhoneNumberNotAvailable } e => Twilio(e, 409, "Number not available",
            "Twilio says this number is no longer available (someone else took it). Search again and pick another."),
        TwilioApiException { IsRateLimited: true } e => Twilio(e, 503, "Twilio is rate limiting us",
            $"Twilio asked us to slow down. Try again{(e.RetryAfter is { } wait ? $" in {Math.Ceiling(wait.TotalSeconds)} s" : " shortly")}.", e.RetryAfter),
        TwilioApiException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } e => Twilio(e, 502, "Twilio refused our credentials",
            "The Provisioning service's Twilio credentials were rejected: check Twilio:AccountSid and Twilio:AuthToken (or Twilio:ApiKey and Twilio:ApiSecret)."),
        TwilioApiException { IsDefinitive: true } e => Twilio(e, 422, "Twilio refused the request", e.Message),
        TwilioApiException e => Twilio(e, 503, "Twilio is unavailable", $"Twilio did not complete the request ({e.Message}). Try again shortly.", TimeSpan.FromSeconds(5)),
        TwilioPurchaseUnconfirmedException => Problem(503, "Twilio did not confirm the purchase",
            "Twilio did not confirm whether the number was bought, and it is not on the account yet. Retry with the same Idempotency-Key: " +
            "we look for the number on the account before buying again, so it is never bought twice. Unclaimed purchases are reconciled automatically.",
            TimeSpan.FromSeconds(5)),
        // 15 s: the circuit's default break (Twilio:Resilience:CircuitBreakDuration).
        BrokenCircuitException => Problem(503, "Twilio is unavailable",
            "Recent requests to Twilio failed, so we are not calling it for a moment. Try again shortly.", TimeSpan.FromSeconds(15)),
        // The SDK's own failures that are not a Twilio answer (no response at all, a body it could not read).
        TimeoutRejectedException or HttpRequestException or global::Twilio.Exceptions.TwilioException or Newtonsoft.Json.JsonException => Problem(503, "Twilio did not answer",
            "Twilio did not answer in time. Try again shortly.", TimeSpan.FromSeconds(5)),
        TwilioNotConfiguredException e => Problem(503, "Twilio is not configured", e.Message, null),
        WebhookUrlNotPublicException { TwilioAlsoMissing: true } e => Problem(503, "Twilio and the webhook URL are not configured", e.Message, null),
        WebhookUrlNotPublicException e => Problem(503, "The webhook URL is not public", e.Message, null),
        _ => null,
    };

    private static Mapped Twilio(TwilioApiException e, int status, string title, string detail, TimeSpan? retryAfter = null)
    {
        var mapped = Problem(status, title, detail, retryAfter);
        if (e.Code is { } code)
        {
            mapped.Problem.Extensions["twilioCode"] = code;
        }
        mapped.Problem.Extensions["twilioStatus"] = (int)e.StatusCode;
        if (e.MoreInfo is { } moreInfo)
        {
            mapped.Problem.Extensions["moreInfo"] = moreInfo;
        }
        return mapped;
    }

    private static Mapped Problem(int status, string title, string detail, TimeSpan? retryAfter) =>
        new(new ProblemDetails { Status = status, Title = title, Detail = detail }, retryAfter);
}

/// <summary>Turns the failures <see cref="TwilioProblems"/> knows into their Problem Details, wherever they are thrown.</summary>
public sealed partial class TwilioExceptionHandler(IProblemDetailsService problems, ILogger<TwilioExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (TwilioProblems.From(exception) is not { } mapped)
        {
            return false;
        }
        LogMapped(logger, exception.GetType().Name, mapped.Problem.Status ?? 500, exception.Message);
        context.Response.StatusCode = mapped.Problem.Status ?? 500;
        if (mapped.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = mapped.Problem, Exception = exception });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio call failed ({Failure}), answered {Status}: {Detail}")]
    private static partial void LogMapped(ILogger logger, string failure, int status, string detail);
}
