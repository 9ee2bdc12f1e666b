using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.LocalPostgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Aspire.Hosting;

public static class LocalPostgresBuilderExtensions
{
    private const string LauncherScript = "run-postgres.sh";

    /// <summary>
    /// Adds a PostgreSQL server that runs the installed server binaries (initdb, postgres) as an
    /// executable resource. Data is kept in <paramref name="rootDirectory"/>/data across runs.
    /// </summary>
    /// <param name="port">The port on 127.0.0.1; null picks a free one.</param>
    /// <param name="binDirectory">Where initdb and postgres are; null searches PATH, pg_config and /usr/lib/postgresql/*/bin.</param>
    /// <param name="ephemeral">
    /// For throwaway data (tests): no fsync, no full-page writes, so a power cut may lose data. Commits
    /// still wait for their WAL write (synchronous_commit stays on): a killed PostgreSQL loses nothing it
    /// acknowledged, which the restart and chaos tests rely on.
    /// </param>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string rootDirectory,
        int? port = null, string? binDirectory = null, bool ephemeral = false)
    {
        rootDirectory = Path.GetFullPath(rootDirectory);
        var password = builder.AddResource(new ParameterResource($"{name}-password", _ => ReadOrCreatePassword(rootDirectory), secret: true))
            .ExcludeFromManifest();
        var server = new LocalPostgresServerResource(name, rootDirectory, password.Resource);
        var serverPort = port is null or 0 ? FreeLoopbackPort() : port.Value;

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new AcceptsConnectionsHealthCheck(server), failureStatus: null, tags: null, timeout: TimeSpan.FromSeconds(5)));

        var resource = builder.AddResource(server)
            .WithEndpoint(port: serverPort, targetPort: serverPort, scheme: "tcp", name: LocalPostgresServerResource.EndpointName, isProxied: false)
            .WithArgs(context =>
            {
                // Resolved when the orchestrator starts it, not when the model is built: --help and
                // publishing must not need PostgreSQL installed.
                var bin = PostgresBinaries.Find(binDirectory);
                PrepareRootDirectory(rootDirectory);
                context.Args.Add(Path.Combine(rootDirectory, LauncherScript));
                context.Args.Add(bin);
                context.Args.Add(server.DataDirectory);
                context.Args.Add(serverPort.ToString());
                context.Args.Add(PasswordFile(rootDirectory));
                context.Args.Add("-c");
                context.Args.Add("max_connections=300");
                if (ephemeral)
                {
                    foreach (var setting in new[] { "fsync=off", "full_page_writes=off" })
                    {
                        context.Args.Add("-c");
                        context.Args.Add(setting);
                    }
                }
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("DatabaseStack")
            .ExcludeFromManifest();

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var adminConnectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
            foreach (var database in server.Databases.Values)
            {
                await CreateDatabaseAsync(adminConnectionString!, database.DatabaseName, cancellationToken);
                await notifications.PublishUpdateAsync(database, state => state with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            }
        });
        return resource;
    }

    /// <summary>A database on the server, created once the server is healthy (if it does not exist yet).</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> builder, string name, string? databaseName = null)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Databases[name] = database;
        return builder.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, builder.Resource.Name)],
            })
            .WithIconName("Database")
            .ExcludeFromManifest();
    }

    private static async Task CreateDatabaseAsync(string adminConnectionString, string databaseName, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = databaseName } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{databaseName.Replace("\"", "\"\"")}\"", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void PrepareRootDirectory(string rootDirectory)
    {
        Directory.CreateDirectory(rootDirectory);
        ReadOrCreatePassword(rootDirectory);
        using (var script = typeof(LocalPostgresBuilderExtensions).Assembly.GetManifestResourceStream(LauncherScript)!)
        using (var file = File.Create(Path.Combine(rootDirectory, LauncherScript)))
        {
            script.CopyTo(file);
        }
        // PostgreSQL refuses to run as root; the launcher then runs it as the postgres OS user,
        // which must own the data and read the password file initdb takes.
        if (!OperatingSystem.IsWindows() && Environment.UserName == "root")
        {
            using var chown = Process.Start("chown", ["-R", "postgres:postgres", rootDirectory])!;
            chown.WaitForExit();
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException($"Could not give {rootDirectory} to the postgres OS user (chown exit {chown.ExitCode}). PostgreSQL refuses to run as root.");
            }
        }
    }

    private static string PasswordFile(string rootDirectory) => Path.Combine(rootDirectory, "password");

    private static string ReadOrCreatePassword(string rootDirectory)
    {
        var path = PasswordFile(rootDirectory);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        Directory.CreateDirectory(rootDirectory);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(path, password + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return password;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Healthy while the server accepts a superuser session; Unhealthy while it is down or restarting.</summary>
    private sealed class AcceptsConnectionsHealthCheck(LocalPostgresServerResource server) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var connectionString = new NpgsqlConnectionStringBuilder(await server.ConnectionStringExpression.GetValueAsync(cancellationToken))
                {
                    Pooling = false,
                    Timeout = 3,
                }.ConnectionString;
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy(Restarts() is { Length: > 0 } restarts
                    ? $"Accepting connections; started again {restarts.Length} time(s) after it died (last: {restarts[^1]})."
                    : "Accepting connections.");
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"PostgreSQL does not accept connections on 127.0.0.1:{server.PrimaryEndpoint.Port}.", ex);
            }
        }

        private string[] Restarts()
        {
            var path = Path.Combine(server.RootDirectory, "restarts");
            return File.Exists(path) ? File.ReadAllLines(path).Where(line => line.Length > 0).ToArray() : [];
        }
    }
}
