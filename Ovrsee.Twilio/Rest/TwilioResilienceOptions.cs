using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// How hard the REST client tries, bound from <c>Twilio:Resilience</c>. The defaults suit the real
/// API (a purchase takes a second or two); tests shrink the delays, never the rules.
/// </summary>
public sealed class TwilioResilienceOptions
{
    public const string SectionName = "Twilio:Resilience";

    /// <summary>One HTTP attempt. A purchase that takes longer counts as ambiguous and is reconciled.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>One logical call, all retries and waits included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Retries of a safe request (GET, DELETE, update of an existing number) and of any request Twilio rate-limited.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First backoff delay; it doubles per retry, with jitter so replicas do not retry in step.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest wait between retries, Twilio's Retry-After included: a longer Retry-After is not
    /// waited out inside a request, it is passed on to our caller instead.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of failed attempts within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the sampling window before the ratio counts.</summary>
    public int CircuitMinimumThroughput { get; set; } = 10;

    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails calls fast before letting one through to test Twilio.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Purchase (create) attempts. Each one after the first is preceded by a check that the
    /// number is not already on the account.
    /// </summary>
    public int PurchaseAttempts { get; set; } = 3;

    /// <summary>First delay between purchase attempts (doubles, jittered).</summary>
    public TimeSpan PurchaseRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}

internal sealed class TwilioResilienceOptionsValidator : IValidateOptions<TwilioResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioResilienceOptions options)
    {
        var failures = new List<string>();
        // The lower bounds are Polly's own: its strategies refuse anything shorter.
        if (options.AttemptTimeout < TimeSpan.FromMilliseconds(10))
        {
            failures.Add("Twilio:Resilience:AttemptTimeout must be at least 10 ms.");
        }
        if (options.TotalTimeout <= options.AttemptTimeout)
        {
            failures.Add("Twilio:Resilience:TotalTimeout must be longer than AttemptTimeout.");
        }
        if (options.MaxRetryAttempts is < 0 or > 10)
        {
            failures.Add("Twilio:Resilience:MaxRetryAttempts must be between 0 and 10.");
        }
        if (options.RetryBaseDelay < TimeSpan.Zero || options.MaxRetryDelay < options.RetryBaseDelay)
        {
            failures.Add("Twilio:Resilience:RetryBaseDelay must be >= 0 and MaxRetryDelay at least as long.");
        }
        if (options.CircuitFailureRatio is <= 0 or > 1)
        {
            failures.Add("Twilio:Resilience:CircuitFailureRatio must be in (0, 1].");
        }
        if (options.CircuitMinimumThroughput < 2)
        {
            failures.Add("Twilio:Resilience:CircuitMinimumThroughput must be at least 2.");
        }
        if (options.CircuitSamplingDuration < TimeSpan.FromMilliseconds(500) || options.CircuitBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            failures.Add("Twilio:Resilience:CircuitSamplingDuration and CircuitBreakDuration must be at least 0.5 s.");
        }
        if (options.PurchaseAttempts is < 1 or > 10)
        {
            failures.Add("Twilio:Resilience:PurchaseAttempts must be between 1 and 10.");
        }
        if (options.PurchaseRetryDelay < TimeSpan.Zero)
        {
            failures.Add("Twilio:Resilience:PurchaseRetryDelay must be >= 0.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
