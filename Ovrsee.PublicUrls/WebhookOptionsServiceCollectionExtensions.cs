using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ovrsee.PublicUrls;

public static class WebhookOptionsServiceCollectionExtensions
{
    // The seed's name for the app's public origin.
    public const string PublicAppUrlKey = "NEXT_PUBLIC_APP_URL";

    /// <summary>
    /// <see cref="WebhookOptions"/> from the <c>Webhooks</c> section with <c>NEXT_PUBLIC_APP_URL</c> as
    /// the fallback public URL, validated at start-up: for the WebhookApi, and for hosts that point
    /// Twilio at it (Provisioning). Safe to call more than once.
    /// </summary>
    public static OptionsBuilder<WebhookOptions> AddWebhookOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());
        services.AddSingleton<IOptionsChangeTokenSource<WebhookOptions>>(
            new ConfigurationChangeTokenSource<WebhookOptions>(Options.DefaultName, configuration));
        return services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.SectionName))
            .Configure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.PublicBaseUrl))
                {
                    options.PublicBaseUrl = configuration[PublicAppUrlKey];
                }
            })
            .ValidateOnStart();
    }
}
