using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Reconciliation;

/// <summary>How the WebhookApi compares our records with Twilio's REST API, bound from <c>Reconciliation</c>.</summary>
public sealed class ReconciliationOptions
{
    public const string SectionName = "Reconciliation";

    /// <summary>The periodic and start-up runs. The on-demand API works either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Between periodic runs (one runner at a time across replicas).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After start-up, before the first run: catches up whatever happened while we were down.</summary>
    public TimeSpan StartupDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far back a number that was never reconciled is compared.</summary>
    public TimeSpan InitialLookback { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Each run lists calls started since the number's last run minus this, so a call that was
    /// still ringing or in progress then is seen again once it has ended.
    /// </summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A call still not ended this long after it started is checked with Twilio by the stuck-call sweep.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Stuck calls checked per run (one Twilio request each).</summary>
    public int StuckBatchSize { get; set; } = 200;

    /// <summary>Records per Twilio list page (Twilio allows up to 1000).</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>How long an on-demand run waits for a run already under way elsewhere.</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Tries per Twilio request beyond the REST client's own retries: a 429 storm or an outage
    /// waits (Retry-After, else exponential backoff) and resumes at the same page.
    /// </summary>
    public int MaxAttemptsPerRequest { get; set; } = 8;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class ReconciliationOptionsValidator : IValidateOptions<ReconciliationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReconciliationOptions options)
    {
        var failures = new List<string>();
        if (options.Interval < TimeSpan.FromSeconds(1))
        {
            failures.Add("Reconciliation:Interval must be at least 1 s.");
        }
        if (options.StartupDelay < TimeSpan.Zero || options.InitialLookback <= TimeSpan.Zero || options.Overlap < TimeSpan.Zero)
        {
            failures.Add("Reconciliation:StartupDelay and Overlap must be >= 0, InitialLookback > 0.");
        }
        if (options.StuckAfter < TimeSpan.FromMinutes(1))
        {
            failures.Add("Reconciliation:StuckAfter must be at least 1 minute.");
        }
        if (options.PageSize is < 1 or > 1000)
        {
            failures.Add("Reconciliation:PageSize must be between 1 and 1000 (Twilio's limit).");
        }
        if (options.StuckBatchSize is < 1 or > 10_000)
        {
            failures.Add("Reconciliation:StuckBatchSize must be between 1 and 10000.");
        }
        if (options.MaxAttemptsPerRequest is < 1 or > 100)
        {
            failures.Add("Reconciliation:MaxAttemptsPerRequest must be between 1 and 100.");
        }
        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay || options.LockWait < TimeSpan.Zero)
        {
            failures.Add("Reconciliation:RetryBaseDelay and LockWait must be >= 0, RetryMaxDelay at least RetryBaseDelay.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
