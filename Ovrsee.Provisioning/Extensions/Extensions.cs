using Microsoft.Extensions.Options;
using Ovrsee.Auth;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Provisioning.Purchases;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio.Rest;

namespace Ovrsee.Provisioning.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<TwilioExceptionHandler>();
        builder.Services.AddExceptionHandler<BadRequestBodyHandler>();
        builder.AddOvrseeAuthentication();
        builder.AddDefaultOpenApi("""
            Ovrsee Telephony's Provisioning: search Twilio for numbers, buy one for the caller's workspace with its
            webhooks pointed at the WebhookApi (safe to retry with an Idempotency-Key: never bought twice), re-point,
            relabel and release numbers. Needs a bearer token of a workspace member; changes need the owner or admin
            role. Errors are Problem Details; Twilio's own failures carry twilioCode, twilioStatus and moreInfo.
            """);

        // Twilio's REST API with its own resilience pipeline (never the standard handler: it would retry a purchase).
        builder.AddTwilioRestClient();
        // Where Twilio must send calls: the WebhookApi's public URL (Webhooks:PublicBaseUrl or NEXT_PUBLIC_APP_URL).
        builder.Services.AddWebhookOptions(builder.Configuration);
        builder.Services.AddOptions<ProvisioningOptions>().Bind(builder.Configuration.GetSection(ProvisioningOptions.SectionName));

        builder.Services.AddSingleton<WebhookTargets>();
        builder.Services.AddSingleton<PublicUrlProbe>();
        // One quick look, as Twilio would take it: no retries (the standard handler's would
        // stretch a "not reachable" answer to half a minute) and no following redirects.
        var probe = builder.Services.AddHttpClient(PublicUrlProbe.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
#pragma warning disable EXTEXP0001 // as in AddTwilioRestClient: evaluation-only in 10.x, the documented way to opt one client out of the defaults
        probe.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddScoped<NumberPurchaser>();
        builder.Services.AddHostedService<PurchaseReconciler>();
        builder.Services.AddSingleton<IValidateOptions<ProvisioningOptions>, ProvisioningOptionsValidator>();
    }
}
