using Ovrsee.Hosting.Application;

namespace Ovrsee.Hosting.Testing;

/// <summary>A system built by <see cref="OvrseeTestingBuilder"/>: ready clients, the settings it handed out, the database.</summary>
public sealed class OvrseeTestApplication : IAsyncDisposable
{
    private readonly string _root;

    internal OvrseeTestApplication(OvrseeApplication application, string root, IDictionary<string, string?> settings)
    {
        Application = application;
        _root = root;
        Settings = new Dictionary<string, string?>(settings);
    }

    public OvrseeApplication Application { get; }

    /// <summary>The settings every service was given.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>The token the services check webhook signatures with.</summary>
    public string TwilioAuthToken => Settings["Twilio__AuthToken"]!;

    /// <summary>Returns once every resource is healthy.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => Application.StartAsync(cancellationToken);

    public Uri GetEndpoint(string resourceName) => Application.Get<ProjectResource>(resourceName).HttpEndpoint;

    public HttpClient CreateHttpClient(string resourceName) =>
        new() { BaseAddress = GetEndpoint(resourceName), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>What the services use (the non-superuser login).</summary>
    public string GetConnectionString(string databaseName = OvrseeSystem.DatabaseName) =>
        Application.Get<PostgresDatabaseResource>(databaseName).ConnectionString;

    /// <summary>The superuser on the system's database: for seeding and for reading back what services wrote.</summary>
    public string AdminConnectionString =>
        Application.Get<PostgresDatabaseResource>(OvrseeSystem.DatabaseName).AdminConnectionString
        ?? throw new InvalidOperationException("The test system's PostgreSQL is not running.");

    public async ValueTask DisposeAsync()
    {
        await Application.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary folder is harmless; failing a test over it is not.
        }
    }
}
