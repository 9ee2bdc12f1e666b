using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Ovrsee.Auth;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.WebhookApi.Apis;
using Ovrsee.WebhookApi.Infrastructure;
using Ovrsee.WebhookApi.Infrastructure.Jobs;

namespace Ovrsee.WebhookApi.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Npgsql logs every statement at Information: thousands a minute here, each with its SQL.
        // Warnings and errors stay; traces carry each statement with its timing. The lowest-ranked
        // source, so Logging__LogLevel__Npgsql=Information in any configuration brings them back.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("Logging:LogLevel:Npgsql", "Warning")],
        });
        // The webhook statements are large CTEs sent thousands of times a minute: prepared once per
        // connection, PostgreSQL skips parsing and planning them on every callback.
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName, dataSource =>
        {
            if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = 32;
            }
            // An idle job runner's polls are not worth a trace each; the jobs they start are traced.
            dataSource.ConfigureTracing(tracing => tracing.ConfigureBatchFilter(batch => !JobStore.IsPoll(batch)));
        });
        builder.Services.AddProblemDetails();
        builder.AddOvrseeAuthentication();
        builder.AddDefaultOpenApi("""
            Ovrsee Telephony's WebhookApi. **Calls**: a workspace's calls for the front end (list with filters and
            cursor paging, CSV export, one call in full with its timeline, voicemail, transcript, summary and pipeline
            jobs, the voicemail audio). Every Calls operation needs a bearer token (Supabase or OIDC) of a workspace
            member, and X-Workspace-Id when the user belongs to several workspaces; errors are Problem Details.
            **Twilio webhooks** (`/api/aloha/webhooks/*`) are for Twilio only: form posts signed with
            X-Twilio-Signature, answered with TwiML or 204.
            """);

        builder.AddTwilioWebhookValidation();
        builder.Services.Configure<VoicemailOptions>(builder.Configuration.GetSection("Voicemail"));
        builder.Services.Configure<WebhookSpoolOptions>(builder.Configuration.GetSection("Webhooks:Spool"));
        builder.Services.Configure<WebhookRecorderOptions>(builder.Configuration.GetSection("Webhooks"));
        builder.Services.AddSingleton<CallbackRecorder>();
        builder.Services.AddSingleton<WebhookSpool>();
        builder.Services.AddSingleton<WebhookRecorder>();
        builder.Services.AddSingleton<CallAnswers>();
        builder.Services.AddHostedService<WebhookSpoolReplayer>();
        builder.AddVoicemailPipeline();
        builder.AddAlohaStream();

        builder.AddForwardedHeadersFromTrustedProxies();
        builder.AddWebhookRateLimiting();
    }

    /// <summary>X-Forwarded-* is believed only from the proxies named in Webhooks:TrustedProxies.</summary>
    private static void AddForwardedHeadersFromTrustedProxies(this IHostApplicationBuilder builder)
    {
        var proxies = builder.Configuration.GetSection("Webhooks:TrustedProxies").Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in proxies)
            {
                if (proxy.Contains('/'))
                {
                    options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
                }
                else
                {
                    options.KnownProxies.Add(IPAddress.Parse(proxy));
                }
            }
        });
    }

    private static void AddWebhookRateLimiting(this IHostApplicationBuilder builder)
    {
        var permitsPerSecond = builder.Configuration.GetValue("RateLimiting:Webhooks:PermitsPerSecond", 200);
        var burst = builder.Configuration.GetValue("RateLimiting:Webhooks:Burst", 400);
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                return ValueTask.CompletedTask;
            };
            // Per source address: one noisy or hostile sender cannot starve Twilio's deliveries.
            options.AddPolicy(TwilioWebhooksApi.RateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = burst,
                    TokensPerPeriod = permitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        });
    }
}
