using Ovrsee.WebhookApi.Events;

namespace Ovrsee.WebhookApi.Extensions;

public static class DomainEventsExtensions
{
    /// <summary>The outbox's readers: the shared reader and the process's one LISTEN connection.</summary>
    public static void AddDomainEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DomainEventLog>();
        builder.Services.AddSingleton<EventSignal>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventSignal>());
    }
}
