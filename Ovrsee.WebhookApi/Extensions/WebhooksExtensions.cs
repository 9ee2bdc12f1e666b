using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.Extensions;

public static class WebhooksExtensions
{
    /// <summary>
    /// What Twilio calls (<c>Webhooks/</c>): the signature check with this service's public base URL, the
    /// write path (recorder → group commit → statement, the spool and its replayer) and the limiter of
    /// unverified traffic, each with its options validated at start-up.
    /// </summary>
    public static void AddTwilioWebhooks(this IHostApplicationBuilder builder)
    {
        // The public base URL and body limit are this service's settings (Webhooks); the signature
        // filter gets them as Twilio.AspNet.Core's would, unless Twilio:RequestValidation names its own.
        builder.Services.AddWebhookOptions(builder.Configuration);
        builder.AddTwilioRequestValidation()
            .Configure<IOptionsMonitor<WebhookOptions>>((validation, webhooks) =>
            {
                var configured = builder.Configuration.GetSection(TwilioRequestValidationOptions.SectionName);
                if (string.IsNullOrWhiteSpace(validation.BaseUrlOverride))
                {
                    validation.BaseUrlOverride = webhooks.CurrentValue.PublicBaseUrl;
                }
                if (configured[nameof(TwilioRequestValidationOptions.MaxBodyBytes)] is null)
                {
                    validation.MaxBodyBytes = webhooks.CurrentValue.MaxBodyBytes;
                }
            });
        builder.Services.Configure<WebhookSpoolOptions>(builder.Configuration.GetSection("Webhooks:Spool"));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookRecorderOptions>, WebhookRecorderOptionsValidator>());
        builder.Services.AddOptions<WebhookRecorderOptions>().Bind(builder.Configuration.GetSection("Webhooks")).ValidateOnStart();
        builder.Services.AddOptions<GroupCommitOptions>().BindConfiguration("Webhooks:GroupCommit").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CallbackRecorder>();
        builder.Services.AddSingleton<GroupCommit>();
        builder.Services.AddSingleton<WebhookSpool>();
        builder.Services.AddSingleton<WebhookRecorder>();
        builder.Services.AddHostedService<WebhookSpoolReplayer>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UnverifiedTrafficOptions>, UnverifiedTrafficOptionsValidator>());
        builder.Services.AddOptions<UnverifiedTrafficOptions>().Bind(builder.Configuration.GetSection(UnverifiedTrafficOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<UnverifiedTrafficLimiter>();
    }
}
