using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Twilio.Clients;

namespace Ovrsee.Twilio.Rest;

public static class TwilioRestServiceCollectionExtensions
{
    /// <summary>
    /// The SDK's REST client as <see cref="ITwilioRestClient"/> (<see cref="TwilioClient"/>, transient)
    /// over the named HttpClient <see cref="TwilioClient.HttpClientName"/>, plus
    /// <see cref="IncomingPhoneNumberPurchaser"/>; <see cref="TwilioOptions"/> (the <c>Twilio</c>
    /// section and TWILIO_* fallbacks) and <see cref="TwilioResilienceOptions"/> (<c>Twilio:Resilience</c>).
    /// Credentials are not required at start-up: a host without them still runs, and each call
    /// says what is missing.
    /// </summary>
    /// <returns>The HttpClient's builder, so tests can add handlers.</returns>
    public static IHttpClientBuilder AddTwilioRestClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddTwilioOptions(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwilioResilienceOptions>, TwilioResilienceOptionsValidator>());
        services.AddOptions<TwilioResilienceOptions>()
            .Bind(configuration.GetSection(TwilioResilienceOptions.SectionName))
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddTransient<TwilioClient>();
        services.TryAddTransient<ITwilioRestClient>(provider => provider.GetRequiredService<TwilioClient>());
        services.TryAddTransient<IncomingPhoneNumberPurchaser>();
        services.TryAddTransient<TwilioBaseUrlHandler>();

        var client = services.AddHttpClient(TwilioClient.HttpClientName, http =>
        {
            // The pipeline's total timeout governs; HttpClient's own 100 s would cut across it.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });

        // ServiceDefaults gives every HttpClient the standard resilience handler, which retries
        // POSTs too: for this client that could buy a number twice. Replace it with ours.
        // RemoveAllResilienceHandlers is marked for evaluation (EXTEXP0001) in 10.x; it is the
        // documented way to opt one client out of ConfigureHttpClientDefaults, and the
        // "exactly one create" tests fail if it ever stops removing the standard handler.
#pragma warning disable EXTEXP0001
        client.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        client.AddHttpMessageHandler<TwilioBaseUrlHandler>();
        client.AddResilienceHandler(TwilioResiliencePipeline.Name, (pipeline, context) =>
        {
            // A changed Twilio:Resilience section rebuilds the pipeline instead of needing a restart.
            context.EnableReloads<TwilioResilienceOptions>();
            var options = context.ServiceProvider.GetRequiredService<IOptionsMonitor<TwilioResilienceOptions>>().CurrentValue;
            TwilioResiliencePipeline.Configure(pipeline, options, context.ServiceProvider.GetRequiredService<TimeProvider>());
        });
        return client;
    }

    /// <inheritdoc cref="AddTwilioRestClient(IServiceCollection, IConfiguration)"/>
    public static IHttpClientBuilder AddTwilioRestClient(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddTwilioRestClient(builder.Configuration);
    }
}
