using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Events;

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
    }
}
