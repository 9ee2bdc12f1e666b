using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <summary>
/// Signed outbound webhooks (#19), bound from the <c>OutboundWebhooks</c> section. Every delay and
/// threshold of the delivery workers is here, so tests can shrink them.
/// </summary>
public sealed class OutboundWebhookOptions
{
    public const string SectionName = "OutboundWebhooks";

    /// <summary>Runs the fan-out and the sender in this process. The API works either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>One HTTP attempt, connect to last response byte. Slower receivers count as failed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay before the first retry; each further retry doubles it, up to <see cref="MaxRetryDelay"/>, ±25 % jitter.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a delivery is retried (from when it was queued) before it is dead.</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An endpoint is disabled after at least this many consecutive failed attempts...</summary>
    public int AutoDisableAfterFailures { get; set; } = 20;

    /// <summary>...that span at least this long (a short outage never disables an endpoint).</summary>
    public TimeSpan AutoDisableAfterFailingFor { get; set; } = TimeSpan.FromDays(3);

    /// <summary>HTTP attempts in flight in this process, across all endpoints.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 64;

    /// <summary>HTTP attempts in flight to one endpoint: a slow endpoint holds at most this many of the slots above.</summary>
    public int MaxConcurrentDeliveriesPerEndpoint { get; set; } = 4;

    /// <summary>Events the fan-out reads (and turns into deliveries) per transaction.</summary>
    public int FanOutBatchSize { get; set; } = 500;

    /// <summary>The fan-out is woken by LISTEN/NOTIFY; this is its safety net if a notification is lost.</summary>
    public TimeSpan FanOutFallbackInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the sender looks for due deliveries when nothing woke it (retries falling due,
    /// deliveries another replica's fan-out queued).
    /// </summary>
    public TimeSpan SenderPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After a rotation, how long the previous secret keeps signing (a second signature).</summary>
    public TimeSpan SecretRotationGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Allow http:// endpoint URLs. Null means: only in Development.</summary>
    public bool? AllowInsecureUrls { get; set; }

    /// <summary>
    /// Allow endpoints on loopback, private, link-local (cloud metadata) and other non-public
    /// addresses. Null means: only in Development. The URL is workspace data (SSRF).
    /// </summary>
    public bool? AllowPrivateAddresses { get; set; }

    /// <summary>When not empty, endpoint hosts must be one of these (exact, or <c>*.example.com</c>).</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Endpoints one workspace may register.</summary>
    public int MaxEndpointsPerWorkspace { get; set; } = 20;

    /// <summary>How long a claimed delivery stays invisible to other senders: a crashed sender's claim expires after this.</summary>
    public TimeSpan ClaimLease => RequestTimeout + TimeSpan.FromSeconds(30);
}

public sealed class OutboundWebhookOptionsValidator : IValidateOptions<OutboundWebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboundWebhookOptions options)
    {
        List<string> failures = [];
        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(5))
            failures.Add("OutboundWebhooks:RequestTimeout must be positive and at most 5 minutes.");
        if (options.InitialRetryDelay <= TimeSpan.Zero) failures.Add("OutboundWebhooks:InitialRetryDelay must be positive.");
        if (options.MaxRetryDelay < options.InitialRetryDelay) failures.Add("OutboundWebhooks:MaxRetryDelay must be at least InitialRetryDelay.");
        if (options.RetryWindow <= TimeSpan.Zero) failures.Add("OutboundWebhooks:RetryWindow must be positive.");
        if (options.AutoDisableAfterFailures < 1) failures.Add("OutboundWebhooks:AutoDisableAfterFailures must be at least 1.");
        if (options.AutoDisableAfterFailingFor < TimeSpan.Zero) failures.Add("OutboundWebhooks:AutoDisableAfterFailingFor must not be negative.");
        if (options.MaxConcurrentDeliveries < 1) failures.Add("OutboundWebhooks:MaxConcurrentDeliveries must be at least 1.");
        if (options.MaxConcurrentDeliveriesPerEndpoint < 1 || options.MaxConcurrentDeliveriesPerEndpoint > options.MaxConcurrentDeliveries)
            failures.Add("OutboundWebhooks:MaxConcurrentDeliveriesPerEndpoint must be between 1 and MaxConcurrentDeliveries.");
        if (options.FanOutBatchSize is < 1 or > 10_000) failures.Add("OutboundWebhooks:FanOutBatchSize must be between 1 and 10000.");
        if (options.FanOutFallbackInterval <= TimeSpan.Zero) failures.Add("OutboundWebhooks:FanOutFallbackInterval must be positive.");
        if (options.SenderPollInterval <= TimeSpan.Zero) failures.Add("OutboundWebhooks:SenderPollInterval must be positive.");
        if (options.SecretRotationGracePeriod < TimeSpan.Zero) failures.Add("OutboundWebhooks:SecretRotationGracePeriod must not be negative.");
        if (options.MaxEndpointsPerWorkspace < 1) failures.Add("OutboundWebhooks:MaxEndpointsPerWorkspace must be at least 1.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
