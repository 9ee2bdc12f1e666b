using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// The Twilio client's pipeline, outermost first: total timeout → retry → circuit breaker →
/// attempt timeout (the order of the standard handler it replaces).
/// <list type="bullet">
/// <item>Retry: safe requests on transient failures (timeouts, dropped connections, 408/5xx);
/// every request, the purchase included, on a rate limit (429 or Twilio code 20429), because
/// Twilio refused it before acting. Jittered exponential backoff, or Twilio's Retry-After.</item>
/// <item>Never: a purchase after an ambiguous failure. That is <see cref="IncomingPhoneNumberPurchaser"/>'s
/// job, which first asks Twilio whether the number is already ours.</item>
/// <item>Circuit breaker: when most attempts fail, fail fast for a while instead of queueing
/// admin requests behind a Twilio outage. Rate limits do not count as failures.</item>
/// </list>
/// </summary>
public static class TwilioResiliencePipeline
{
    public const string Name = "twilio";

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, TwilioResilienceOptions options, TimeProvider time)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "twilio-total", Timeout = options.TotalTimeout });

        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            Name = "twilio-retry",
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.MaxRetryDelay,
            // Our own generator reads Retry-After, so the built-in one stays off.
            ShouldRetryAfterHeader = false,
            ShouldHandle = args => ShouldRetryAsync(args.Outcome, args.Context, options, time),
            DelayGenerator = args => ValueTask.FromResult(TwilioRequestSafety.RetryAfter(args.Outcome.Result, time)),
        });

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            Name = "twilio-circuit",
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = options.CircuitMinimumThroughput,
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            ShouldHandle = args => ValueTask.FromResult(IsFailure(args.Outcome)),
        });

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "twilio-attempt", Timeout = options.AttemptTimeout });
    }

    private static async ValueTask<bool> ShouldRetryAsync(
        Outcome<HttpResponseMessage> outcome, ResilienceContext context, TwilioResilienceOptions options, TimeProvider time)
    {
        if (await TwilioRequestSafety.IsRateLimitedAsync(outcome.Result))
        {
            // Waiting longer than we would ever wait inside one request: hand the 429 and its
            // Retry-After to the caller instead of holding the request open.
            var retryAfter = TwilioRequestSafety.RetryAfter(outcome.Result, time);
            return retryAfter is null || retryAfter <= options.MaxRetryDelay;
        }

        var request = outcome.Result?.RequestMessage ?? context.GetRequestMessage();
        if (!TwilioRequestSafety.IsIdempotent(request))
        {
            return false;
        }
        return IsFailure(outcome);
    }

    private static bool IsFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => TwilioRequestSafety.IsTransientStatus(response.StatusCode),
        _ => false,
    };
}
