using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio.AspNetCore;

public static class TwilioRequestValidationServiceCollectionExtensions
{
    /// <summary>
    /// Everything <c>.ValidateTwilioRequest()</c> needs (Twilio.AspNet.Core's <c>AddTwilioRequestValidation</c>):
    /// <see cref="TwilioOptions"/> with the Auth Token required at start-up, and
    /// <see cref="TwilioRequestValidationOptions"/> from <c>Twilio:RequestValidation</c>.
    /// </summary>
    public static OptionsBuilder<TwilioRequestValidationOptions> AddTwilioRequestValidation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddTwilioOptions(configuration).RequireAuthToken();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioRequestValidationOptions>, TwilioRequestValidationOptionsValidator>());
        // Hosts fill these from settings outside the section: any configuration change rebuilds them.
        services.AddSingleton<IOptionsChangeTokenSource<TwilioRequestValidationOptions>>(
            new ConfigurationChangeTokenSource<TwilioRequestValidationOptions>(Options.DefaultName, configuration));
        return services.AddOptions<TwilioRequestValidationOptions>()
            .Bind(configuration.GetSection(TwilioRequestValidationOptions.SectionName))
            .ValidateOnStart();
    }

    /// <inheritdoc cref="AddTwilioRequestValidation(IServiceCollection, IConfiguration)"/>
    public static OptionsBuilder<TwilioRequestValidationOptions> AddTwilioRequestValidation(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddTwilioRequestValidation(builder.Configuration);
    }
}
