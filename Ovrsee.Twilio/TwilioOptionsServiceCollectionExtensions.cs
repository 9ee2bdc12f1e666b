using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio;

public static class TwilioOptionsServiceCollectionExtensions
{
    // The seed app (and its deployment secrets) use these flat names; environment
    // variables surface in IConfiguration under exactly these keys.
    internal const string AccountSidKey = "TWILIO_ACCOUNT_SID";
    internal const string AuthTokenKey = "TWILIO_AUTH_TOKEN";
    internal const string ApiKeyKey = "TWILIO_API_KEY";
    internal const string ApiSecretKey = "TWILIO_API_SECRET";

    /// <summary>
    /// Binds <see cref="TwilioOptions"/> from the <c>Twilio</c> section, filling empty values from
    /// <c>TWILIO_ACCOUNT_SID</c>, <c>TWILIO_AUTH_TOKEN</c>, <c>TWILIO_API_KEY</c>, <c>TWILIO_API_SECRET</c>,
    /// and validates the SID shapes at start-up. Safe to call more than once.
    /// </summary>
    public static OptionsBuilder<TwilioOptions> AddTwilioOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioOptions>, TwilioOptionsValidator>());

        // The fallback keys live outside the section, so Bind's own change token would miss a
        // rotated TWILIO_AUTH_TOKEN from a reloadable provider.
        services.AddSingleton<IOptionsChangeTokenSource<TwilioOptions>>(
            new ConfigurationChangeTokenSource<TwilioOptions>(Options.DefaultName, configuration));

        return services.AddOptions<TwilioOptions>()
            .Bind(configuration.GetSection(TwilioOptions.SectionName))
            .Configure(options => ApplyFlatFallbacks(options, configuration))
            .ValidateOnStart();
    }

    /// <inheritdoc cref="AddTwilioOptions(IServiceCollection, IConfiguration)"/>
    public static OptionsBuilder<TwilioOptions> AddTwilioOptions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddTwilioOptions(builder.Configuration);
    }

    /// <summary>
    /// Makes a missing Auth Token a start-up failure. Webhook hosts opt into this; hosts that
    /// only call the REST API with an API key do not need a token.
    /// </summary>
    public static OptionsBuilder<TwilioOptions> RequireAuthToken(this OptionsBuilder<TwilioOptions> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioOptions>, AuthTokenRequiredValidator>());
        return builder.ValidateOnStart();
    }

    private static void ApplyFlatFallbacks(TwilioOptions options, IConfiguration configuration)
    {
        options.AccountSid = FirstNonEmpty(options.AccountSid, configuration[AccountSidKey]);
        options.AuthToken = FirstNonEmpty(options.AuthToken, configuration[AuthTokenKey]);
        options.ApiKey = FirstNonEmpty(options.ApiKey, configuration[ApiKeyKey]);
        options.ApiSecret = FirstNonEmpty(options.ApiSecret, configuration[ApiSecretKey]);
        if (string.IsNullOrWhiteSpace(options.BaseUrl))
        {
            options.BaseUrl = TwilioOptions.DefaultBaseUrl;
        }
    }

    private static string? FirstNonEmpty(string? sectionValue, string? flatValue) =>
        string.IsNullOrWhiteSpace(sectionValue) ? (string.IsNullOrWhiteSpace(flatValue) ? sectionValue : flatValue.Trim()) : sectionValue;
}
