using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.Auth;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The webhook statements are large CTEs sent thousands of times a minute: prepared once per
        // connection, PostgreSQL skips parsing and planning them on every callback.
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName, configureDataSourceBuilder: dataSource =>
        {
            if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = 32;
            }
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RequestFailureHandler>();
        builder.AddOvrseeAuthentication();
        builder.AddDefaultOpenApi();

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
        builder.Services.Configure<VoicemailOptions>(builder.Configuration.GetSection("Voicemail"));
        builder.Services.Configure<WebhookSpoolOptions>(builder.Configuration.GetSection("Webhooks:Spool"));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookRecorderOptions>, WebhookRecorderOptionsValidator>());
        builder.Services.AddOptions<WebhookRecorderOptions>().Bind(builder.Configuration.GetSection("Webhooks")).ValidateOnStart();
        builder.Services.AddOptions<GroupCommitOptions>().BindConfiguration("Webhooks:GroupCommit").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CallbackRecorder>();
        builder.Services.AddSingleton<GroupCommit>();
        builder.Services.AddSingleton<WebhookSpool>();
        builder.Services.AddSingleton<WebhookRecorder>();
        builder.Services.AddSingleton<CallAnswers>();
        builder.Services.AddHostedService<WebhookSpoolReplayer>();
        builder.AddWebhookReadiness();
        builder.AddVoicemailPipeline();
        builder.AddAlohaStream();

        builder.AddForwardedHeadersFromTrustedProxies();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UnverifiedTrafficOptions>, UnverifiedTrafficOptionsValidator>());
        builder.Services.AddOptions<UnverifiedTrafficOptions>().Bind(builder.Configuration.GetSection(UnverifiedTrafficOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<UnverifiedTrafficLimiter>();
    }
}
