using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Events;
using Ovrsee.WebhookApi.OutboundWebhooks;

namespace Ovrsee.WebhookApi.Extensions;

public static class DomainEventsExtensions
{
    /// <summary>The outbox's readers: the shared reader, the process's one LISTEN connection and the live feed's hub.</summary>
    public static void AddDomainEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DomainEventLog>();
        builder.Services.AddSingleton<EventSignal>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventSignal>());

        // The live feed (GET /api/aloha/events): one hub per process reads for every connection.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventFeedOptions>, EventFeedOptionsValidator>());
        builder.Services.AddOptions<EventFeedOptions>()
            .Bind(builder.Configuration.GetSection(EventFeedOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<EventFeedHub>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventFeedHub>());

        builder.AddOutboundWebhooks();
    }

    /// <summary>
    /// Signed outbound webhooks: the endpoint URL rules (API and sender), and, unless
    /// OutboundWebhooks:Enabled is false, the fan-out (events → deliveries) and the sender.
    /// </summary>
    public static void AddOutboundWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboundWebhookOptions>, OutboundWebhookOptionsValidator>());
        builder.Services.AddOptions<OutboundWebhookOptions>()
            .Bind(builder.Configuration.GetSection(OutboundWebhookOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<WebhookUrlPolicy>();
        builder.Services.AddSingleton<WebhookSenderSignal>();
        if (builder.Configuration.GetValue($"{OutboundWebhookOptions.SectionName}:Enabled", true))
        {
            builder.Services.AddHostedService<WebhookFanOut>();
            builder.Services.AddHostedService<WebhookSender>();
        }
    }
}
