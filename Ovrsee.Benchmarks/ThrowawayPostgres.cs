using System.Diagnostics;
using Npgsql;
using Ovrsee.Data;

namespace Ovrsee.Benchmarks;

/// <summary>
/// A PostgreSQL cluster of the benchmark's own, made with initdb and run with pg_ctl from the
/// machine's binaries, durable (fsync on) like production, on 127.0.0.1, removed at the end.
/// PostgreSQL refuses to run as root, so as root the tools run as the postgres OS user.
/// Trust authentication: it listens on loopback only and lives for one benchmark run.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    public const string ServiceLogin = "ovrsee_app";
    private readonly string _root;
    private bool _started;

    private ThrowawayPostgres(string root, int port)
    {
        _root = root;
        Port = port;
    }

    public int Port { get; }
    private string DataDirectory => Path.Combine(_root, "data");

    public string ConnectionString(string database, string user = "postgres", int? maxPoolSize = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = user, Database = database, MaxPoolSize = maxPoolSize ?? 100,
    }.ConnectionString;

    public string Url(string database, string user = "postgres") => $"postgresql://{user}@127.0.0.1:{Port}/{database}";

    public static async Task<ThrowawayPostgres> StartAsync(int port, string extraOptions = "")
    {
        var root = Path.Combine(Path.GetTempPath(), $"ovrsee-bench-pg-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        await ChildProcess.RunAsync("chown", ["-R", "postgres:postgres", root]);
        var server = new ThrowawayPostgres(root, port);
        await server.RunAsPostgresAsync("initdb", "-D", server.DataDirectory, "-U", "postgres", "-E", "UTF8", "--no-locale", "--auth=trust");
        await server.RunAsPostgresAsync("pg_ctl", "-D", server.DataDirectory, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
            "-o", $"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c max_connections=300 {extraOptions}", "start");
        server._started = true;
        return server;
    }

    /// <summary>Creates the database, applies the project's migrations and lets the service login use it, as deploys do.</summary>
    public async Task CreateOvrseeDatabaseAsync(string database)
    {
        // Roles are the cluster's: a second database (the replay's variants) finds the login there already.
        await ExecuteAsync("postgres", $"CREATE DATABASE {database}",
            $"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ServiceLogin}') THEN CREATE ROLE {ServiceLogin} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$");
        await using (var dataSource = NpgsqlDataSource.Create(ConnectionString(database)))
        {
            await new MigrationRunner(dataSource).ApplyAsync();
        }
        await ExecuteAsync(database,
            $"GRANT ovrsee_tenant, ovrsee_system TO {ServiceLogin}",
            $"ALTER ROLE {ServiceLogin} SET role = 'ovrsee_tenant'");
    }

    public async Task ExecuteAsync(string database, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The postmaster's pid, for CPU accounting of it and its backends.</summary>
    public int PostmasterPid => int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First());

    public Task RunAsPostgresAsync(string tool, params string[] arguments) =>
        ChildProcess.RunAsync("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(BinDirectory, tool), .. arguments]);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started)
        {
            _started = false;
            await RunAsPostgresAsync("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop");
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Processes the benchmark starts and must stop: run to the end, or keep running until disposed.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var startInfo = StartInfo(program, arguments, environment, workingDirectory);
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within 5 minutes.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}{await stderr}");
        }
        return await stdout + await stderr;
    }

    /// <summary>Starts a server process; its output goes to a log file so a full pipe never blocks it.</summary>
    public static ChildProcess Start(string program, IEnumerable<string> arguments, IDictionary<string, string> environment, string logFile, string? workingDirectory = null)
    {
        var startInfo = StartInfo(program, arguments, environment, workingDirectory);
        var process = Process.Start(startInfo)!;
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process);
    }

    public async Task WaitUntilHealthyAsync(Uri health, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode} while starting.");
            }
            try
            {
                using var response = await http.GetAsync(health);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{health} did not answer within {timeout.TotalSeconds:0} s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment, string? workingDirectory)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }
        return startInfo;
    }
}
