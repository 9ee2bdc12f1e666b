using Ovrsee.Hosting.Postgres;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run, started on first use and stopped when the test
/// process exits. It holds a migrated template database that each test class clones.
/// </summary>
public static class TestPostgres
{
    public const string TemplateDatabase = "ovrsee_template";
    private static readonly Lazy<Task<LocalPostgresServer>> Server = new(StartAsync);
    private static int _databaseCounter;

    public static Task<LocalPostgresServer> GetServerAsync() => Server.Value;

    /// <summary>A fresh, migrated database of its own: nothing shared with other test classes.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync()
    {
        var server = await GetServerAsync();
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await server.CreateDatabaseAsync(name, TemplateDatabase);
        return new TestDatabase(server, name);
    }

    /// <summary>A folder under the temp directory that PostgreSQL's OS user can use too.</summary>
    public static string NewRootDirectory(string purpose)
    {
        var directory = Path.Combine(Path.GetTempPath(), "ovrsee-tests", $"{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static async Task<LocalPostgresServer> StartAsync()
    {
        await StaleTestServers.StopAsync(Path.Combine(Path.GetTempPath(), "ovrsee-tests"));
        var root = NewRootDirectory("pg");
        var server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions { RootDirectory = root, Ephemeral = true });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            server.StopAsync().GetAwaiter().GetResult();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        await server.PrepareDatabaseAsync(TemplateDatabase);
        return server;
    }
}

public sealed record TestDatabase(LocalPostgresServer Server, string Name)
{
    public string ServiceConnectionString => Server.ServiceConnectionString(Name);
    public string AdminConnectionString => Server.AdminConnectionString(Name);
}
