using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ovrsee.Data;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Extensions;
using Ovrsee.WebhookApi.Reconciliation;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Tests.Reconciliation;

/// <summary>
/// One replica's reconciler, wired by the WebhookApi's own AddCallReconciliation, in the test
/// process against a test database and the Twilio double. Two instances are two replicas.
/// The periodic runs are off: tests run it when they want.
/// </summary>
public sealed class ReconcilerHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ReconcilerHost(IHost host) => _host = host;

    public CallReconciler Reconciler => _host.Services.GetRequiredService<CallReconciler>();

    public static ReconcilerHost Start(TestDatabase database, TwilioDouble twilio, IDictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ovrsee"] = database.ServiceConnectionString,
            ["Twilio:AccountSid"] = TestServiceEnvironment.AccountSid,
            ["Twilio:AuthToken"] = TestServiceEnvironment.AuthToken,
            ["Twilio:BaseUrl"] = twilio.BaseUrl.ToString().TrimEnd('/'),
            ["Reconciliation:Enabled"] = "false",
            ["Reconciliation:PageSize"] = "20",
            ["Reconciliation:RetryBaseDelay"] = "00:00:00.100",
            ["Reconciliation:RetryMaxDelay"] = "00:00:05",
        };
        foreach (var (key, value) in TwilioClientHost.FastResilience)
        {
            settings[key] = value;
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName);
        builder.Services.AddLogging();
        builder.Services.AddSingleton<CallbackRecorder>();
        builder.AddCallReconciliation();
        return new ReconcilerHost(builder.Build());
    }

    public Task<ReconciliationReport> RunAsync(TimeSpan? waitForLock = null) =>
        Reconciler.RunAsync("test", workspaceId: null, waitForLock ?? TimeSpan.FromSeconds(60), CancellationToken.None);

    public ValueTask DisposeAsync()
    {
        _host.Dispose();
        return ValueTask.CompletedTask;
    }
}
