extern alias apphost;

using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ovrsee.Hosting;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// The real AppHost (DCP, the Aspire dashboard, PostgreSQL from the installed binaries, migrate,
/// both services) started once through DistributedApplicationTestingBuilder and shared by the
/// tests of the "apphost" collection: starting one costs ~10 s and stopping it ~13 s.
/// Every port is a free one; nothing depends on 5180/5181/18888 being free.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public const string AuthToken = "apphost-test-auth-token-0000000000";
    public const string JwtSecret = "apphost-test-jwt-secret-00000000000000000000";

    public DistributedApplication App { get; private set; } = null!;
    public string StateDirectory { get; } = TestPostgres.NewRootDirectory("apphost");
    public Uri Dashboard { get; private set; } = null!;
    public string AdminConnectionString { get; private set; } = null!;
    public Uri WebhookApi => App.GetEndpoint("webhookapi", "http");
    public string PostmasterPidFile => Path.Combine(StateDirectory, "postgres", "data", "postmaster.pid");

    public async Task InitializeAsync()
    {
        var appHost = await CreateBuilderAsync(StateDirectory, dashboard: true,
            ["--Twilio:AuthToken=" + AuthToken, "--Auth:JwtSecret=" + JwtSecret,
             // The voicemail pipeline is off here (below): nothing would reach the storage.
             "--recordings-storage", "folder"]);
        var webhookApi = appHost.Resources.OfType<ProjectResource>().Single(r => r.Name == "webhookapi");
        appHost.CreateResourceBuilder(webhookApi)
            .WithEnvironment("RateLimiting__Webhooks__PermitsPerSecond", "100000")
            .WithEnvironment("RateLimiting__Webhooks__Burst", "100000")
            // The voicemail pipeline has its own tests; here it would only reach for api.twilio.com.
            .WithEnvironment("Jobs__Enabled", "false")
            // Outbound webhooks retry within seconds, not minutes, so an endpoint's outage fits in a test.
            .WithEnvironment("OutboundWebhooks__InitialRetryDelay", "00:00:00.200")
            .WithEnvironment("OutboundWebhooks__MaxRetryDelay", "00:00:02")
            // A line per request, captured by DCP and forwarded to the test log, costs more than the request.
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
        // The resources' consoles reach the test log only for warnings and errors (PostgreSQL logs to stderr).
        appHost.Services.AddLogging(logging => logging
            .AddFilter("Ovrsee.AppHost.Resources", LogLevel.Warning)
            .AddFilter("Ovrsee.AppHost.Resources.postgres", LogLevel.None));

        App = await appHost.BuildAsync();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await App.StartAsync(startup.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("webhookapi", startup.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("provisioning", startup.Token);
        // The testing builder gives the dashboard a port of its own choosing: read it off its resource.
        // Its OTLP and resource-service endpoints are HTTP/2 only: the browser wants the front end's.
        var dashboard = await App.ResourceNotifications.WaitForResourceAsync("aspire-dashboard",
            e => e.Snapshot.Urls.Any(IsFrontEnd), startup.Token);
        Dashboard = new Uri(dashboard.Snapshot.Urls.First(IsFrontEnd).Url.TrimEnd('/') + "/");
        AdminConnectionString = (await App.GetConnectionStringAsync("ovrsee", startup.Token))!;
    }

    /// <summary>
    /// The AppHost on free ports with throwaway PostgreSQL data in <paramref name="stateDirectory"/>,
    /// plus <paramref name="args"/>; the dashboard only when a test looks at it.
    /// </summary>
    internal static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string stateDirectory, bool dashboard, string[] args) =>
        await DistributedApplicationTestingBuilder.CreateAsync<apphost::Projects.Ovrsee_AppHost>(
            [
                "--state-dir", stateDirectory, "--postgres-container", "false", "--Postgres:Ephemeral=true",
                "--postgres-port", "0", "--webhookapi-port", "0", "--provisioning-port", "0", .. args,
            ],
            (options, host) =>
            {
                options.DisableDashboard = !dashboard;
                options.AllowUnsecuredTransport = true;
                host.Configuration ??= new ConfigurationManager();
                host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LoopbackPort.Free()}",
                    ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{LoopbackPort.Free()}",
                    ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{LoopbackPort.Free()}",
                    // The browser test opens the dashboard without the login token.
                    ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
                    ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
                });
            });

    private static bool IsFrontEnd(UrlSnapshot url) =>
        url.Url.StartsWith("http", StringComparison.Ordinal)
        && !(url.Name ?? "").Contains("otlp", StringComparison.OrdinalIgnoreCase)
        && !(url.Name ?? "").Contains("resource", StringComparison.OrdinalIgnoreCase)
        && !(url.Name ?? "").Contains("mcp", StringComparison.OrdinalIgnoreCase);

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(StateDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public int PostmasterPid() => int.Parse(File.ReadLines(PostmasterPidFile).First());
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
