using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using Ovrsee.Auth;
using Ovrsee.PublicUrls;

namespace Ovrsee.Benchmarks;

/// <summary>
/// What idle live-feed connections cost (issue #19): a throwaway PostgreSQL and the WebhookApi
/// (Release, as a process), N authenticated SSE connections to GET /api/aloha/events that stay open,
/// the service's working set and GC heap (after a full collection) before and after they connect,
/// the PostgreSQL connections the service holds meanwhile, its CPU while they idle, and then, per
/// inserted event, how long until every client has it (from just before the INSERT is sent, so the
/// commit's fsync is included).
/// </summary>
public static class SseIdle
{
    private const string JwtSecret = "bench-jwt-secret-0000000000000000000000";

    public static async Task<int> RunAsync(int clients, int events, int idleSeconds)
    {
        var repository = BenchmarkStack.RepositoryRoot();
        var configuration = typeof(SseIdle).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var dll = Path.Combine(repository, "Ovrsee.WebhookApi", "bin", configuration, "net10.0", "Ovrsee.WebhookApi.dll");
        var workDirectory = Directory.CreateTempSubdirectory("ovrsee-bench-sse-").FullName;
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("Starting a throwaway PostgreSQL 15...");
        await using var postgres = await ThrowawayPostgres.StartAsync(BenchmarkStack.FreePort());
        var processes = new List<ChildProcess>();
        try
        {
            await postgres.CreateOvrseeDatabaseAsync(BenchmarkStack.OvrseeDatabase);
            var workspace = Guid.NewGuid();
            var user = Guid.NewGuid();
            await postgres.ExecuteAsync(BenchmarkStack.OvrseeDatabase,
                $"INSERT INTO workspaces (id, name) VALUES ('{workspace}', 'SSE benchmark')",
                $"INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ('{workspace}', '{user}', 'member')");

            var address = new Uri($"http://127.0.0.1:{BenchmarkStack.FreePort()}/");
            Console.WriteLine($"Starting WebhookApi ({configuration}) on {address}...");
            var service = ChildProcess.Start("dotnet", [dll], new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = address.ToString(),
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__ovrsee"] = postgres.ConnectionString(BenchmarkStack.OvrseeDatabase, ThrowawayPostgres.ServiceLogin),
                ["Twilio__AuthToken"] = BenchmarkStack.AuthToken,
                ["Auth__JwtSecret"] = JwtSecret,
                // One user opens every connection here.
                ["Auth__UserRequestsPerMinute"] = "1000000",
                ["Webhooks__Spool__Directory"] = Path.Combine(workDirectory, "spool"),
                ["Jobs__Enabled"] = "false",
                ["Reconciliation__Enabled"] = "false",
                ["AlohaStream__ExposeDiagnostics"] = "true",
            }, Path.Combine(workDirectory, "webhookapi.log"));
            processes.Add(service);
            await service.WaitUntilHealthyAsync(new Uri(address, "/health"), TimeSpan.FromSeconds(90));

            var token = SupabaseStyleToken.Create(JwtSecret, user, TimeSpan.FromHours(1));
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                BaseAddress = address,
                Timeout = Timeout.InfiniteTimeSpan,
            };
            var diagnostics = new Uri(address, WebhookRoutes.StreamDiagnostics + "?collect=true");
            async Task InsertAsync() => await postgres.ExecuteAsync(BenchmarkStack.OvrseeDatabase,
                $"INSERT INTO domain_events (workspace_id, type, occurred_at, data) VALUES ('{workspace}', 'call.ringing', now(), '{{\"callSid\":\"CA{Guid.NewGuid():N}\"}}'); NOTIFY ovrsee_events");

            // Warm-up: JIT, pools, the hub's first fan-out, with a few connections that then leave.
            {
                var warm = await ConnectAllAsync(http, token, 10);
                var received = warm.Select(c => c.NextEventAsync()).ToArray();
                await InsertAsync();
                await Task.WhenAll(received);
                foreach (var c in warm)
                {
                    c.Dispose();
                }
                await Task.Delay(1000);
            }

            // The same idle window without clients, for comparison: the service's own background work.
            var baselineCpuStart = CpuSeconds(service.Id);
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var baselineCpu = CpuSeconds(service.Id) - baselineCpuStart;

            var before = await http.GetFromJsonAsync<Diagnostics>(diagnostics);
            var connectTime = Stopwatch.StartNew();
            var connections = await ConnectAllAsync(http, token, clients);
            connectTime.Stop();
            await Task.Delay(2000);
            var after = await http.GetFromJsonAsync<Diagnostics>(diagnostics);
            var serviceBackends = await postgres.ScalarAsync<long>(BenchmarkStack.OvrseeDatabase,
                $"SELECT count(*) FROM pg_stat_activity WHERE usename = '{ThrowawayPostgres.ServiceLogin}'");
            var activeBackends = await postgres.ScalarAsync<long>(BenchmarkStack.OvrseeDatabase,
                $"SELECT count(*) FROM pg_stat_activity WHERE usename = '{ThrowawayPostgres.ServiceLogin}' AND state <> 'idle'");

            var cpuBefore = CpuSeconds(service.Id);
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var idleCpu = CpuSeconds(service.Id) - cpuBefore;

            Console.WriteLine();
            Console.WriteLine($"{clients} idle SSE connections to GET /api/aloha/events (one workspace), all connected in {connectTime.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"{"",-22}{"before",12}{"after",12}{"per client",14}");
            PrintMemory("working set", before!.WorkingSetBytes, after!.WorkingSetBytes, clients);
            PrintMemory("GC heap (after GC)", before.GcHeapBytes, after.GcHeapBytes, clients);
            Console.WriteLine($"PostgreSQL connections of the service while idle: {serviceBackends} open, {activeBackends} not idle (the LISTEN connection waits idle)");
            Console.WriteLine($"Service CPU over {idleSeconds} s idle: {baselineCpu:F2} s without clients, {idleCpu:F2} s with {clients} (heartbeat every 15 s, the hub's fallback read every 1.5 s)");

            for (var round = 1; round <= events; round++)
            {
                var received = connections.Select(c => c.NextEventAsync()).ToArray();
                var sent = Stopwatch.GetTimestamp();
                await InsertAsync();
                var committed = Stopwatch.GetTimestamp();
                var arrivals = await Task.WhenAll(received);
                var latencies = arrivals.Select(a => Stopwatch.GetElapsedTime(sent, a).TotalMilliseconds).Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"event {round}: INSERT committed after {Stopwatch.GetElapsedTime(sent, committed).TotalMilliseconds:F1} ms; received by {arrivals.Length}/{clients} clients: p50 {Percentile(latencies, 0.50):F1} ms, p95 {Percentile(latencies, 0.95):F1} ms, max {latencies[^1]:F1} ms (from before the INSERT)"));
                await Task.Delay(500);
            }

            foreach (var c in connections)
            {
                c.Dispose();
            }
            return 0;
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                await process.DisposeAsync();
            }
            try { Directory.Delete(workDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<List<Connection>> ConnectAllAsync(HttpClient http, string token, int count)
    {
        // Connecting is a membership lookup and an outbox read each: at most 64 at a time, as a reconnect wave would be spread.
        using var gate = new SemaphoreSlim(64);
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                return await Connection.OpenAsync(http, token);
            }
            finally
            {
                gate.Release();
            }
        });
        return [.. await Task.WhenAll(tasks)];
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static void PrintMemory(string name, long before, long after, int clients) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22}{before / 1048576.0,9:F1} MB{after / 1048576.0,9:F1} MB{(after - before) / (double)clients / 1024,11:F1} KB"));

    // utime + stime of /proc/<pid>/stat, in clock ticks of 1/100 s.
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private sealed record Diagnostics(long GcHeapBytes, long WorkingSetBytes);

    /// <summary>One EventSource-like client: a streaming GET read line by line.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private Connection(HttpResponseMessage response, StreamReader reader) => (_response, _reader) = (response, reader);

        public static async Task<Connection> OpenAsync(HttpClient http, string token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/aloha/events");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.ParseAdd("text/event-stream");
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            // The retry: hint comes once the server has subscribed this connection.
            while (await reader.ReadLineAsync() is { } line && !line.StartsWith("retry:", StringComparison.Ordinal))
            {
            }
            return new Connection(response, reader);
        }

        /// <summary>The moment the next event's data line arrived.</summary>
        public async Task<long> NextEventAsync()
        {
            while (await _reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    return Stopwatch.GetTimestamp();
                }
            }
            throw new EndOfStreamException("The server ended an SSE stream.");
        }

        public void Dispose()
        {
            _reader.Dispose();
            _response.Dispose();
        }
    }
}
