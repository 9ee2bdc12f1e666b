extern alias apphost;

using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// A second real AppHost, for what the shared one turns off: Azurite as its recording storage
/// (--recordings-storage azurite) with the voicemail pipeline on, and WebhookApi's Twilio REST
/// calls sent to the stateful Twilio double (every request validated by Prism) so its dashboard
/// commands have a Twilio to reconcile against. No dashboard: the commands run through Aspire's
/// ResourceCommandService, as the dashboard runs them.
/// </summary>
public sealed class AzuriteAppHostFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;
    public TwilioDouble Twilio { get; private set; } = null!;
    public string StateDirectory { get; } = TestPostgres.NewRootDirectory("apphost-azurite");
    public string AdminConnectionString { get; private set; } = null!;
    public Uri WebhookApi => App.GetEndpoint("webhookapi", "http");

    public async Task InitializeAsync()
    {
        Twilio = await TwilioDouble.StartAsync(await PrismServer.GetAsync());
        var appHost = await AppHostFixture.CreateBuilderAsync(StateDirectory, dashboard: false,
        [
            "--recordings-storage", "azurite",
            "--Twilio:AccountSid=" + TestServiceEnvironment.AccountSid, "--Twilio:AuthToken=" + TestServiceEnvironment.AuthToken,
            "--Auth:JwtSecret=" + TestServiceEnvironment.JwtSecret,
        ]);
        var webhookApi = appHost.Resources.OfType<ProjectResource>().Single(r => r.Name == "webhookapi");
        var service = appHost.CreateResourceBuilder(webhookApi)
            .WithEnvironment("Twilio__BaseUrl", Twilio.BaseUrl.ToString().TrimEnd('/'))
            // Runs only when a test asks (the dashboard command); a periodic run would repair first.
            .WithEnvironment("Reconciliation__Enabled", "false")
            .WithEnvironment("Reconciliation__LockWait", "00:00:01")
            .WithEnvironment("Jobs__PollInterval", "00:00:00.500")
            .WithEnvironment("Jobs__RetryBaseDelay", "00:00:00.200")
            .WithEnvironment("Voicemail__Transcription", "None")
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
        foreach (var (key, value) in TwilioClientHost.FastResilience)
        {
            service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
        }
        appHost.Services.AddLogging(logging => logging
            .AddFilter("Ovrsee.AppHost.Resources", LogLevel.Warning)
            .AddFilter("Ovrsee.AppHost.Resources.postgres", LogLevel.None));

        App = await appHost.BuildAsync();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await App.StartAsync(startup.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("webhookapi", startup.Token);
        AdminConnectionString = (await App.GetConnectionStringAsync("ovrsee", startup.Token))!;
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        if (Twilio is not null)
        {
            await Twilio.DisposeAsync();
        }
        try { Directory.Delete(StateDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
