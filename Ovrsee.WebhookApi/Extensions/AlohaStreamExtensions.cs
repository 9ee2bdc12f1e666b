using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.WebhookApi.Extensions;

public static class AlohaStreamExtensions
{
    /// <summary>The Media Streams endpoint's services: options, the call check, the timeline writer, the agents.</summary>
    public static IHostApplicationBuilder AddAlohaStream(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlohaStreamOptions>, AlohaStreamOptionsValidator>());
        builder.Services.AddOptions<AlohaStreamOptions>()
            .Bind(builder.Configuration.GetSection(AlohaStreamOptions.SectionName))
            .ValidateOnStart();

        builder.Services.AddSingleton<StreamCallLookup>();
        builder.Services.AddSingleton<StreamTimeline>();
        // The same instance is the queue sessions write to and the hosted writer that drains it.
        builder.Services.AddHostedService(services => services.GetRequiredService<StreamTimeline>());
        builder.Services.AddSingleton<AgentUrlPolicy>();
        builder.Services.AddSingleton<ExternalVoiceAgent>();
        builder.Services.AddSingleton<BuiltInVoiceAgent>();
        builder.Services.AddSingleton<CallTransfer>();
        builder.Services.AddSingleton<AlohaStreamMetrics>();
        builder.Services.AddSingleton<AlohaStreamSessions>();
        return builder;
    }
}
