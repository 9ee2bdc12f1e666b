using Ovrsee.Auth;
using Ovrsee.WebhookApi.Infrastructure;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Voicemail;

namespace Ovrsee.WebhookApi.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Npgsql logs every statement at Information: thousands a minute here, each with its SQL.
        // Warnings and errors stay; traces carry each statement with its timing. The lowest-ranked
        // source, so Logging__LogLevel__Npgsql=Information (or __Microsoft.AspNetCore) in any
        // configuration brings them back.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData =
            [
                new("Logging:LogLevel:Npgsql", "Warning"),
                // ASP.NET Core's three lines per request (start, endpoint, finish) cost about as much
                // CPU as the webhook's own work (docs/performance.md). appsettings.json says the same,
                // but it is read only when the content root is the app's directory; this holds wherever
                // the service is started from.
                new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"),
            ],
        });
        // The webhook statements are large CTEs sent thousands of times a minute: prepared once per
        // connection, PostgreSQL skips parsing and planning them on every callback.
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName, configureDataSourceBuilder: dataSource =>
        {
            if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = 32;
            }
            // An idle job runner's polls are not worth a trace each; the jobs they start are traced.
            dataSource.ConfigureTracing(tracing => tracing.ConfigureBatchFilter(batch => !JobStore.IsPoll(batch)));
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RequestFailureHandler>();
        builder.AddOvrseeAuthentication();
        builder.AddDefaultOpenApi("""
            Ovrsee Telephony's WebhookApi. **Calls**: a workspace's calls for the front end (list with filters and
            cursor paging, CSV export, one call in full with its timeline, voicemail, transcript, summary and pipeline
            jobs, the voicemail audio). Every Calls operation needs a bearer token (Supabase or OIDC) of a workspace
            member, and X-Workspace-Id when the user belongs to several workspaces; errors are Problem Details.
            **Events**: the same workspace's call and voicemail events, live, as Server-Sent Events
            (`GET /api/aloha/events`), resumable with Last-Event-ID; same authentication.
            **Twilio webhooks** (`/api/aloha/webhooks/*`) are for Twilio only: form posts signed with
            X-Twilio-Signature, answered with TwiML or 204.
            """);

        builder.Services.Configure<VoicemailOptions>(builder.Configuration.GetSection("Voicemail"));
        builder.AddTwilioWebhooks();
        builder.AddCallRouting();
        builder.AddWebhookReadiness();
        builder.AddVoicemailPipeline();
        builder.AddAlohaStream();
        builder.AddCallReconciliation();
        builder.AddDomainEvents();

        builder.AddForwardedHeadersFromTrustedProxies();
    }
}
