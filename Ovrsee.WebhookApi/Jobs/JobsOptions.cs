using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Jobs;

/// <summary>The <c>Jobs</c> section: how the background job runner claims and retries work.</summary>
public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Off for replicas that should only take webhooks (and in tests that must not call Twilio).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The safety net: the longest an idle runner waits before looking for due jobs again. New
    /// work wakes it at once (LISTEN/NOTIFY) and a retry at its due time, so this only matters
    /// when a notification is lost (e.g. while PostgreSQL restarts) or a replica's lease expires.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a claimed job stays ours without a heartbeat. A runner renews every third of it,
    /// so this is roughly how long a job waits after its replica dies before another takes it.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One attempt may take this long; then it counts as failed (a hung call must not hold its job forever).</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Jobs one replica runs at the same time.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>Attempts before a job is left dead with its last error. Applied when a job is claimed.</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Exponential backoff with jitter: the n-th failure waits between half and all of
    /// base·2^(n-1) (capped), so jobs that failed together do not retry together.
    /// </summary>
    public TimeSpan RetryDelay(int attempt)
    {
        var exponential = RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var capped = Math.Min(exponential, RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }
}

public sealed class JobsOptionsValidator : IValidateOptions<JobsOptions>
{
    public ValidateOptionsResult Validate(string? name, JobsOptions options)
    {
        var failures = new List<string>();
        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add("Jobs:PollInterval must be more than zero and at most 5 minutes.");
        }
        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            failures.Add("Jobs:LeaseDuration must be at least 1 second (it is renewed every third of it).");
        }
        if (options.JobTimeout <= TimeSpan.Zero)
        {
            failures.Add("Jobs:JobTimeout must be more than zero.");
        }
        if (options.Concurrency is < 1 or > 256)
        {
            failures.Add("Jobs:Concurrency must be between 1 and 256.");
        }
        if (options.MaxAttempts is < 1 or > 100)
        {
            failures.Add("Jobs:MaxAttempts must be between 1 and 100.");
        }
        if (options.RetryBaseDelay < TimeSpan.Zero)
        {
            failures.Add("Jobs:RetryBaseDelay must not be negative.");
        }
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            failures.Add("Jobs:RetryMaxDelay must be at least Jobs:RetryBaseDelay.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
