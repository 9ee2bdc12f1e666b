using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio.AspNetCore;

public static class TwilioWebhookServiceCollectionExtensions
{
    // The seed's name for the app's public origin.
    internal const string PublicAppUrlKey = "NEXT_PUBLIC_APP_URL";

    /// <summary>
    /// Everything <c>.ValidateTwilioRequest()</c> needs: <see cref="TwilioOptions"/> with the Auth Token
    /// required at start-up, and <see cref="WebhookOptions"/> from the <c>Webhooks</c> section.
    /// </summary>
    public static IServiceCollection AddTwilioWebhookValidation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddTwilioOptions(configuration).RequireAuthToken();
        services.AddTwilioWebhookOptions(configuration);
        return services;
    }

    /// <summary>
    /// <see cref="WebhookOptions"/> alone, from the <c>Webhooks</c> section with <c>NEXT_PUBLIC_APP_URL</c>
    /// as the fallback public URL: for hosts that point Twilio at the webhooks rather than receive them.
    /// </summary>
    public static IServiceCollection AddTwilioWebhookOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());
        services.AddSingleton<IOptionsChangeTokenSource<WebhookOptions>>(
            new ConfigurationChangeTokenSource<WebhookOptions>(Options.DefaultName, configuration));
        services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.SectionName))
            .Configure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.PublicBaseUrl))
                {
                    options.PublicBaseUrl = configuration[PublicAppUrlKey];
                }
            })
            .ValidateOnStart();

        return services;
    }

    /// <inheritdoc cref="AddTwilioWebhookValidation(IServiceCollection, IConfiguration)"/>
    public static IHostApplicationBuilder AddTwilioWebhookValidation(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddTwilioWebhookValidation(builder.Configuration);
        return builder;
    }
}
