using Ovrsee.Hosting;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>The real WebhookApi process on a database of its own, for one test class.</summary>
public class WebhookApiFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public ServiceProcess Service { get; private set; } = null!;
    public TwilioWebhookClient Twilio { get; private set; } = null!;
    public string Admin => Database.AdminConnectionString;

    /// <summary>Settings a test class adds or overrides (rate limits, voicemail options...).</summary>
    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        Database = await TestPostgres.CreateDatabaseAsync();
        Service = await StartServiceAsync(Database.ServiceConnectionString, ExtraSettings);
        Twilio = new TwilioWebhookClient(Service.HttpEndpoint, TestServiceEnvironment.AuthToken);
    }

    public static async Task<ServiceProcess> StartServiceAsync(string connectionString, IDictionary<string, string?> extraSettings)
    {
        var environment = TestServiceEnvironment.For(connectionString);
        environment["Webhooks__Spool__Directory"] = TestPostgres.NewRootDirectory("spool");
        foreach (var (key, value) in extraSettings)
        {
            environment[key] = value;
        }
        var service = new ServiceProcess(ServiceProject.WebhookApi, new Uri($"http://127.0.0.1:{LoopbackPort.Free()}/"), environment);
        service.Start();
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        return service;
    }

    public virtual async Task DisposeAsync()
    {
        Twilio.Dispose();
        await Service.DisposeAsync();
    }
}
