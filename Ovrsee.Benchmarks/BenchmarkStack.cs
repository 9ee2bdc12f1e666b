using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Ovrsee.Hosting.Services;
using Ovrsee.PublicUrls;

namespace Ovrsee.Benchmarks;

/// <summary>Our service started with different settings, to see what one setting is worth in the same run.</summary>
public static class OurVariants
{
    public static readonly IReadOnlyDictionary<string, (string Name, Dictionary<string, string> Settings)> Known =
        new Dictionary<string, (string, Dictionary<string, string>)>
        {
            ["ours"] = ("WebhookApi (defaults)", []),
            // The same service again, for schema experiments applied to the database between targets.
            ["ours-b"] = ("WebhookApi (defaults), second process", []),
            ["ours-c"] = ("WebhookApi (defaults), third process", []),
            // Another build of the service (OVRSEE_BENCH_BASE_DLL: the path of its Ovrsee.WebhookApi.dll,
            // e.g. a worktree of the base commit built with -c Release) on the same database: before
            // and after a code change in one invocation, under the same load. Its schema is this build's.
            ["base"] = ("WebhookApi (defaults), base build", []),
            ["per-request"] = ("WebhookApi, one commit per request", new() { ["Webhooks__GroupCommit__Enabled"] = "false" }),
            ["trace-all"] = ("WebhookApi, every request traced", new() { ["Telemetry__TraceSamplingRatio"] = "1" }),
            ["trace-none"] = ("WebhookApi, no request traced", new() { ["Telemetry__TraceSamplingRatio"] = "0" }),
            // ASP.NET Core's request lines (start, endpoint, finish) at Information, as every run
            // before 2026-12-02 had them by accident: the benchmark started the service outside its
            // own directory, so appsettings.json (Microsoft.AspNetCore at Warning) was not read.
            ["aspnetcore-info"] = ("WebhookApi, ASP.NET Core request logs at Information", new() { ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information" }),
            // The OpenTelemetry SDK off altogether (tracing, metrics and the log bridge): what telemetry costs.
            ["otel-off"] = ("WebhookApi, OpenTelemetry SDK disabled", new() { ["OTEL_SDK_DISABLED"] = "true" }),
            // Since 2026-12-02 the SDK is off when no OTLP endpoint is configured; this is the default before.
            ["otel-on"] = ("WebhookApi, OpenTelemetry SDK on without an exporter", new() { ["OTEL_SDK_DISABLED"] = "false" }),
            // Runtime settings: thread-pool workers spinning before they sleep, and the GC flavour
            // (the Web SDK's default is Server GC, one heap and GC thread per core).
            ["spin-0"] = ("WebhookApi, thread pool without spin-waiting", new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" }),
            // The runtime's default spin limit (70), which the service's runtimeconfig turned off in #15.
            ["spin-70"] = ("WebhookApi, thread pool spin-waiting (runtime default)", new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "70" }),
            // Socket completions queued to the thread pool (the runtime's default) instead of run on
            // the socket event threads, which the service's image sets since #15.
            ["queued-sockets"] = ("WebhookApi, socket completions queued (runtime default)", new() { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0" }),
            ["gc-workstation"] = ("WebhookApi, workstation GC", new() { ["DOTNET_gcServer"] = "0" }),
            // The outbound webhooks' fan-out and sender off in this process: what reading the outbox costs per webhook.
            ["webhooks-off"] = ("WebhookApi, outbound webhooks (fan-out, sender) off", new() { ["OutboundWebhooks__Enabled"] = "false" }),
            ["writers-1"] = ("WebhookApi, group commit with 1 writer", new() { ["Webhooks__GroupCommit__Writers"] = "1" }),
            ["writers-4"] = ("WebhookApi, group commit with 4 writers", new() { ["Webhooks__GroupCommit__Writers"] = "4" }),
            // The defaults before #15: ASP.NET Core's request lines and our line per webhook, at Information.
            ["log-info"] = ("WebhookApi, per-request logs at Information", new()
            {
                ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
                ["Logging__LogLevel__Ovrsee.WebhookApi.Webhooks.WebhookRecorder"] = "Debug",
            }),
        };
}

public sealed record BenchmarkTarget(string Key, string Name, Uri BaseAddress, int Pid, Uri? Diagnostics, Func<string, Task<long>> CountStoredAsync);

/// <summary>
/// Everything the comparison needs, started by the benchmark itself and stopped at the end: a
/// throwaway PostgreSQL, our WebhookApi (one process per variant, run as `dotnet &lt;dll&gt;` with
/// its settings in the environment, as a container would), and the seed's Node stack.
/// </summary>
public sealed class BenchmarkStack : IAsyncDisposable
{
    public const string AuthToken = "bench-auth-token-0000000000000000";
    public const string Number = "+15005550006";
    public const string OvrseeDatabase = "ovrsee";
    public const string PeerDatabase = "peer";
    private readonly List<ChildProcess> _processes = [];

    private BenchmarkStack(ThrowawayPostgres postgres) => Postgres = postgres;

    public ThrowawayPostgres Postgres { get; }
    public List<BenchmarkTarget> Targets { get; } = [];

    public static async Task<BenchmarkStack> StartAsync(IReadOnlyList<string> variants, int connections, string workDirectory, bool pgStats = false)
    {
        var repository = RepositoryRoot();
        var configuration = typeof(BenchmarkStack).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var webhookApi = Path.Combine(repository, "Ovrsee.WebhookApi", "bin", configuration, "net10.0", "Ovrsee.WebhookApi.dll");
        var peerDirectory = Path.Combine(repository, "Ovrsee.Benchmarks", "seed-peer");
        if (!Directory.Exists(Path.Combine(peerDirectory, "node_modules")))
        {
            Console.WriteLine("Installing the seed peer's packages (npm ci, pinned by its package-lock.json)...");
            await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], workingDirectory: peerDirectory);
        }

        Console.WriteLine("Starting a throwaway PostgreSQL 15 (durable: fsync on, default settings)...");
        var stack = new BenchmarkStack(await ThrowawayPostgres.StartAsync(FreePort(), pgStats ? PgStatements.ServerOptions : ""));
        try
        {
            await stack.Postgres.CreateOvrseeDatabaseAsync(OvrseeDatabase);
            if (pgStats)
            {
                await PgStatements.CreateExtensionAsync(stack.Postgres, OvrseeDatabase);
            }
            await stack.Postgres.ExecuteAsync(OvrseeDatabase, $"""
                WITH w AS (INSERT INTO workspaces (name) VALUES ('Benchmark') RETURNING id)
                INSERT INTO user_phone_numbers (workspace_id, phone_number) SELECT id, '{Number}' FROM w
                """);
            await stack.Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {PeerDatabase}");
            await stack.Postgres.ExecuteAsync(PeerDatabase,
                "CREATE TABLE calls (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), call_sid text NOT NULL UNIQUE, account_sid text, from_number text, to_number text, status text, created_at timestamptz NOT NULL DEFAULT now())",
                PgBenchCeiling.CreateTableSql);

            for (var i = 0; i < variants.Count; i++)
            {
                var (name, settings) = OurVariants.Known[variants[i]];
                var dll = variants[i] == "base"
                    ? Environment.GetEnvironmentVariable("OVRSEE_BENCH_BASE_DLL") ?? throw new InvalidOperationException("The base variant needs OVRSEE_BENCH_BASE_DLL.")
                    : webhookApi;
                await stack.StartWebhookApiAsync($"{i:x2}", name, dll, settings, workDirectory);
            }
            await stack.StartPeerAsync(peerDirectory, connections, workDirectory);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartWebhookApiAsync(string key, string name, string dll, Dictionary<string, string> settings, string workDirectory)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = address.ToString(),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__ovrsee"] = Postgres.ConnectionString(OvrseeDatabase, ThrowawayPostgres.ServiceLogin),
            ["Twilio__AuthToken"] = AuthToken,
            ["Auth__JwtSecret"] = "bench-jwt-secret-0000000000000000000000",
            ["Webhooks__Spool__Directory"] = Path.Combine(workDirectory, "spool-" + key),
            // The benchmark is one address sending thousands of requests a second.
            ["RateLimiting__Webhooks__PermitsPerSecond"] = "1000000",
            ["RateLimiting__Webhooks__Burst"] = "1000000",
            // The voicemail jobs would only reach for api.twilio.com here.
            ["Jobs__Enabled"] = "false",
            ["AlohaStream__ExposeDiagnostics"] = "true",
        };
        // What the service's container image sets (its csproj: inline socket completions, #15).
        foreach (var (variable, value) in ServiceProject.WebhookApi.ImageEnvironment())
        {
            environment[variable] = value;
        }
        foreach (var (setting, value) in settings)
        {
            environment[setting] = value;
        }
        Console.WriteLine($"Starting {name} on {address}...");
        // Run from its own directory, as its container does (WORKDIR /app): the content root is
        // where appsettings.json is, so the shipped configuration is what gets measured.
        var process = ChildProcess.Start("dotnet", [dll], environment, Path.Combine(workDirectory, $"webhookapi-{key}.log"), Path.GetDirectoryName(dll));
        _processes.Add(process);
        await process.WaitUntilHealthyAsync(new Uri(address, "/health"), TimeSpan.FromSeconds(90));
        Targets.Add(new BenchmarkTarget(key, name, address, process.Id, new Uri(address, WebhookRoutes.StreamDiagnostics),
            prefix => Postgres.ScalarAsync<long>(OvrseeDatabase, $"SELECT count(*) FROM call_logs WHERE call_sid LIKE 'CA{prefix}%'")));
    }

    private async Task StartPeerAsync(string directory, int connections, string workDirectory)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        Console.WriteLine($"Starting the seed's stack (Node {(await ChildProcess.RunAsync("node", ["--version"])).Trim()}, Express + twilio + pg) on {address}...");
        var process = ChildProcess.Start("node", ["server.js"], new Dictionary<string, string>
        {
            ["PORT"] = address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DATABASE_URL"] = Postgres.Url(PeerDatabase),
            ["TWILIO_AUTH_TOKEN"] = AuthToken,
            ["PG_POOL_SIZE"] = connections.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Keep its idle connections, as our service's pool does (Npgsql: 5 min): node-postgres
            // closes them after 10 s, and 32 backends exiting at once stalled the next target (s9).
            ["PG_IDLE_TIMEOUT_MS"] = "0",
            // The route the load posts to (SignedRequestLoad), not the peer's own copy of it.
            ["INCOMING_CALL_ROUTE"] = WebhookRoutes.IncomingCall,
            ["NODE_ENV"] = "production",
        }, Path.Combine(workDirectory, "seed-peer.log"), directory);
        _processes.Add(process);
        await process.WaitUntilHealthyAsync(new Uri(address, "/health"), TimeSpan.FromSeconds(60));
        Targets.Add(new BenchmarkTarget("ff", "seed stack (Node/Express + twilio + pg)", address, process.Id, null,
            prefix => Postgres.ScalarAsync<long>(PeerDatabase, $"SELECT count(*) FROM calls WHERE call_sid LIKE 'CA{prefix}%'")));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
        _processes.Clear();
        await Postgres.DisposeAsync();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ovrsee.Aspire.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Run the benchmark from the repository (Ovrsee.Aspire.sln not found above " + AppContext.BaseDirectory + ").");
    }
}
