using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio.Rest;
using Ovrsee.WebhookApi.Reconciliation;

namespace Ovrsee.WebhookApi.Extensions;

public static class ReconciliationExtensions
{
    /// <summary>
    /// Reconciliation against Twilio's REST API (periodic, on start-up, on demand) and the REST
    /// client it uses. Expects an NpgsqlDataSource and <c>CallbackRecorder</c> (AddApplicationServices).
    /// </summary>
    public static IHostApplicationBuilder AddCallReconciliation(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddTwilioRestClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReconciliationOptions>, ReconciliationOptionsValidator>());
        services.AddOptions<ReconciliationOptions>().Bind(builder.Configuration.GetSection(ReconciliationOptions.SectionName)).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<ReconciliationMetrics>();
        services.AddSingleton<ReconciliationStore>();
        services.AddSingleton<CallReconciler>();
        services.AddHostedService<ReconciliationService>();
        return builder;
    }
}
