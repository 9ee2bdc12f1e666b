using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.Extensions;

public static class ReadinessExtensions
{
    public const string ReadinessEndpointPath = "/ready";

    public static IHostApplicationBuilder AddWebhookReadiness(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<TwilioReadinessCheck>("can-answer-twilio", tags: [TwilioReadinessCheck.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// The readiness probe: 200 while this replica can answer Twilio, with or without PostgreSQL
    /// (see docs/deploy.md). <c>/health</c> stays the whole picture, database included.
    /// </summary>
    public static WebApplication MapWebhookReadiness(this WebApplication app)
    {
        app.MapHealthChecks(ReadinessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(TwilioReadinessCheck.ReadyTag),
        });
        return app;
    }
}
