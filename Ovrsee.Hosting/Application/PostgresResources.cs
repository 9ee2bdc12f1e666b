using Microsoft.Extensions.Logging;
using Npgsql;
using Ovrsee.Data;
using Ovrsee.Hosting.Postgres;

namespace Ovrsee.Hosting.Application;

/// <summary>A PostgreSQL server: started from local binaries, or an existing one (e.g. Supabase) named by a connection string.</summary>
public sealed class PostgresServerResource : Resource
{
    private readonly OvrseeApplicationBuilder _builder;
    private readonly LocalPostgresOptions? _local;
    private readonly string? _externalConnectionString;

    internal PostgresServerResource(string name, OvrseeApplicationBuilder builder, LocalPostgresOptions? local, string? externalConnectionString)
        : base(name, "postgres")
    {
        _builder = builder;
        _local = local;
        _externalConnectionString = externalConnectionString;
    }

    /// <summary>The local server once started; null for an external one.</summary>
    public LocalPostgresServer? Server { get; private set; }
    public string? ExternalConnectionString => _externalConnectionString;
    public override int? ProcessId => Server?.ProcessId;

    public override IReadOnlyList<string> Endpoints => Server is not null
        ? [$"tcp://127.0.0.1:{Server.Port}"]
        : _externalConnectionString is null ? [] : [ExternalEndpoint(_externalConnectionString)];

    public PostgresDatabaseResource AddDatabase(string name) =>
        _builder.Add(new PostgresDatabaseResource(name, this)).WaitFor(this);

    protected internal override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_externalConnectionString is not null)
        {
            await using var connection = new NpgsqlConnection(_externalConnectionString);
            await connection.OpenAsync(cancellationToken);
            Console.Append($"[apphost] using the existing server at {ExternalEndpoint(_externalConnectionString)}; none is started");
            return;
        }

        Server = await LocalPostgresServer.StartAsync(_local!, _builder.Logger, cancellationToken);
        foreach (var line in Server.RecentLog())
        {
            Console.Append(line);
        }
        Server.OutputReceived += Console.Append;
        Server.Exited += exitCode => MarkFailed($"PostgreSQL exited with code {exitCode}", exitCode);
    }

    protected internal override async Task StopAsync()
    {
        if (Server is not null)
        {
            await Server.StopAsync();
        }
    }

    protected internal override Task<HealthStatus> ProbeHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Server is null || Server.IsRunning ? HealthStatus.Healthy : HealthStatus.Unhealthy);

    // Host and port only: the connection string carries a password.
    private static string ExternalEndpoint(string connectionString)
    {
        var parsed = new NpgsqlConnectionStringBuilder(connectionString);
        return $"tcp://{parsed.Host}:{parsed.Port}";
    }
}

/// <summary>A database on a PostgreSQL server, migrated before anything that references it starts.</summary>
public sealed class PostgresDatabaseResource(string name, PostgresServerResource server) : Resource(name, "database")
{
    private string? _connectionString;

    public PostgresServerResource Parent { get; } = server;

    /// <summary>What services get: the non-superuser login, so row-level security applies.</summary>
    public string ConnectionString => _connectionString
        ?? throw new InvalidOperationException($"The database '{Name}' has no connection string before it is ready; WaitFor it.");

    /// <summary>The superuser on this database (local servers only): for seeding and for tests reading what services wrote.</summary>
    public string? AdminConnectionString => Parent.Server?.AdminConnectionString(Name);

    protected internal override async Task StartAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> applied;
        if (Parent.Server is { } local)
        {
            applied = await local.PrepareDatabaseAsync(Name, cancellationToken);
            _connectionString = local.ServiceConnectionString(Name);
        }
        else
        {
            await using var dataSource = NpgsqlDataSource.Create(Parent.ExternalConnectionString!);
            applied = await new MigrationRunner(dataSource).ApplyAsync(cancellationToken);
            _connectionString = Parent.ExternalConnectionString;
        }
        Console.Append(applied.Count == 0
            ? "[apphost] schema is up to date"
            : $"[apphost] applied migrations: {string.Join(", ", applied)}");
    }

    protected internal override Task StopAsync() => Task.CompletedTask;

    // No server, no database: a failed server leaves the database unhealthy rather than "running".
    protected internal override Task<HealthStatus> ProbeHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Parent is { State: ResourceState.Running, Health: HealthStatus.Healthy } ? HealthStatus.Healthy : HealthStatus.Unhealthy);
}
