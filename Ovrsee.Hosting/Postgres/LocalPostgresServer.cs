using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Aspire.Hosting.LocalPostgres;
using Npgsql;
using Ovrsee.Data;

namespace Ovrsee.Hosting.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's own binaries: what Aspire's AddPostgres gives
/// with a container, without one. Used by the AppHost and by the tests.
/// </summary>
public sealed class LocalPostgresServer : IAsyncDisposable
{
    private const string Superuser = "postgres";
    private readonly LocalPostgresOptions _options;
    private readonly ILogger _logger;
    private readonly string _binDirectory;
    private readonly string _password;
    private readonly LinkedList<string> _recentLog = new();
    private Process? _process;
    private volatile bool _stopRequested;

    private LocalPostgresServer(LocalPostgresOptions options, string binDirectory, string password, int port, ILogger logger)
    {
        _options = options;
        _binDirectory = binDirectory;
        _password = password;
        Port = port;
        _logger = logger;
    }

    public int Port { get; }
    public string DataDirectory => Path.Combine(_options.RootDirectory, "data");
    public bool IsRunning => _process is { HasExited: false };
    public int? ProcessId => _process?.Id;

    /// <summary>Raised with each line the server prints (for the AppHost's console view).</summary>
    public event Action<string>? OutputReceived;

    /// <summary>Raised when the server ends without <see cref="StopAsync"/>: a crash or an outside kill.</summary>
    public event Action<int>? Exited;

    public string AdminConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = Superuser, Password = _password, Database = database,
        Pooling = false, Timeout = 5,
    }.ConnectionString;

    public string ServiceConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = _options.ServiceLogin, Password = _password, Database = database,
    }.ConnectionString;

    public static async Task<LocalPostgresServer> StartAsync(LocalPostgresOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var binDirectory = PostgresBinaries.Find(options.BinDirectory);
        Directory.CreateDirectory(options.RootDirectory);
        var password = ReadOrCreatePassword(options.RootDirectory);
        var port = options.Port != 0 ? options.Port : LoopbackPort.Free();
        var server = new LocalPostgresServer(options, binDirectory, password, port, logger);
        try
        {
            await server.InitializeDataDirectoryAsync(cancellationToken);
            await server.StartServerAsync(cancellationToken);
            await server.EnsureServiceLoginAsync(cancellationToken);
            return server;
        }
        catch
        {
            // Cancelled or failed half-way: a server already running would outlive us.
            await server.StopAsync();
            throw;
        }
    }

    /// <summary>Creates the database if missing, applies migrations as the superuser, and lets the service login use it.</summary>
    /// <returns>The migrations applied now (empty when the database was up to date).</returns>
    public async Task<IReadOnlyList<string>> PrepareDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await CreateDatabaseAsync(database, template: null, cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(AdminConnectionString(database));
        var applied = await new MigrationRunner(dataSource).ApplyAsync(cancellationToken);
        // Without an explicit scope the service login acts as a tenant with no workspace and
        // sees nothing: forgetting WorkspaceScope or SystemPath fails closed.
        await using var grant = dataSource.CreateCommand($"""
            GRANT ovrsee_tenant, ovrsee_system TO {Quote(_options.ServiceLogin)};
            ALTER ROLE {Quote(_options.ServiceLogin)} SET role = 'ovrsee_tenant';
            """);
        await grant.ExecuteNonQueryAsync(cancellationToken);
        return applied;
    }

    public async Task CreateDatabaseAsync(string database, string? template, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }
        var sql = $"CREATE DATABASE {Quote(database)}" + (template is null ? "" : $" TEMPLATE {Quote(template)}");
        await using var create = new NpgsqlCommand(sql, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Fast shutdown: running transactions are rolled back, nothing committed is lost.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _stopRequested = true;
        if (process is null || process.HasExited)
        {
            return;
        }
        UnixProcess.Signal(process.Id, UnixProcess.SigInt);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the server again on the same port and data (for outage tests and restarts).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => StartServerAsync(cancellationToken);

    public IReadOnlyList<string> RecentLog()
    {
        lock (_recentLog)
        {
            return [.. _recentLog];
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task InitializeDataDirectoryAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            await StopStaleServerAsync();
            return;
        }

        Directory.CreateDirectory(DataDirectory);
        var passwordFile = Path.Combine(_options.RootDirectory, "initdb-password");
        await File.WriteAllTextAsync(passwordFile, _password + "\n", cancellationToken);
        try
        {
            HandToServerUser(_options.RootDirectory);
            var arguments = new List<string>
            {
                "-D", DataDirectory, "-U", Superuser, "-E", "UTF8", "--no-locale",
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", $"--pwfile={passwordFile}",
            };
            if (_options.Ephemeral)
            {
                arguments.Add("--no-sync");
            }
            var (exitCode, output) = await RunToEndAsync(Path.Combine(_binDirectory, "initdb"), arguments, cancellationToken);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"initdb failed (exit {exitCode}) for {DataDirectory}:\n{output}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        var arguments = new List<string>
        {
            "-D", DataDirectory, "-p", Port.ToString(),
            "-c", "listen_addresses=127.0.0.1",
            // TCP only: no socket file to place somewhere both users can write.
            "-c", "unix_socket_directories=",
            "-c", $"max_connections={_options.MaxConnections}",
            "-c", "logging_collector=off",
        };
        if (_options.Ephemeral)
        {
            arguments.AddRange(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        }

        var startInfo = UnixProcess.InOwnSession(ServerUserStartInfo(Path.Combine(_binDirectory, "postgres"), arguments));
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Exited += (_, _) =>
        {
            if (!_stopRequested)
            {
                Exited?.Invoke(process.ExitCode);
            }
        };
        _stopRequested = false;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL exited with code {process.ExitCode} while starting on port {Port}:\n{string.Join('\n', RecentLog().TakeLast(20))}");
            }
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString());
                await connection.OpenAsync(cancellationToken);
                _logger.LogInformation("PostgreSQL is accepting connections on 127.0.0.1:{Port}", Port);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == "57P03" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private async Task EnsureServiceLoginAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync(cancellationToken);
        var login = Quote(_options.ServiceLogin);
        // The password is generated locally and never leaves .ovrsee/; it is not user input.
        var escapedPassword = _password.Replace("'", "''");
        await using var command = new NpgsqlCommand($"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{_options.ServiceLogin}') THEN
                    CREATE ROLE {login} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '{escapedPassword}';
                END IF;
            END
            $$
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // A server left running by a process that was killed would hold the data directory.
    private async Task StopStaleServerAsync()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) || !UnixProcess.IsAlive(pid))
        {
            return;
        }
        _logger.LogWarning("Stopping a PostgreSQL (pid {Pid}) left running on {DataDirectory} by an earlier run", pid, DataDirectory);
        UnixProcess.Signal(pid, UnixProcess.SigInt);
        for (var i = 0; i < 150 && UnixProcess.IsAlive(pid); i++)
        {
            await Task.Delay(100);
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_recentLog)
        {
            _recentLog.AddLast(line);
            if (_recentLog.Count > 200)
            {
                _recentLog.RemoveFirst();
            }
        }
        OutputReceived?.Invoke(line);
    }

    // PostgreSQL refuses to run as root; as root we run it as the postgres OS user.
    // setpriv execs in place, so the pid we hold is the server's own and signals reach it.
    private static ProcessStartInfo ServerUserStartInfo(string program, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (UnixProcess.IsRoot)
        {
            startInfo.FileName = "setpriv";
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", program })
            {
                startInfo.ArgumentList.Add(a);
            }
        }
        else
        {
            startInfo.FileName = program;
        }
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }

    private static async Task<(int ExitCode, string Output)> RunToEndAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(ServerUserStartInfo(program, arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static void HandToServerUser(string directory)
    {
        if (!UnixProcess.IsRoot)
        {
            return;
        }
        using var chown = Process.Start("chown", ["-R", "postgres:postgres", directory])!;
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"Could not give {directory} to the postgres OS user (chown exit {chown.ExitCode}). PostgreSQL refuses to run as root.");
        }
    }

    private static string ReadOrCreatePassword(string rootDirectory)
    {
        var path = Path.Combine(rootDirectory, "password");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(path, password);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return password;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
