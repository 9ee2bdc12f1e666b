using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Ovrsee.Auth;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.WebhookApi.Apis;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The webhook statements are large CTEs sent thousands of times a minute: prepared once per
        // connection, PostgreSQL skips parsing and planning them on every callback.
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName, dataSource =>
        {
            if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = 32;
            }
        });
        builder.Services.AddProblemDetails();
        builder.AddOvrseeAuthentication();
        builder.AddDefaultOpenApi();

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
        builder.AddCallReconciliation();

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
