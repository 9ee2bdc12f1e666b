using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio;

namespace Ovrsee.Benchmarks;

public sealed record LoadFigures(string Target, long Requests, long Errors, TimeSpan Elapsed, double P50, double P99, double Max)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// The load generator for the side-by-side: unique incoming-call requests, signed as Twilio signs
/// them for the target's URL before the clock starts (so signing costs the generator nothing
/// during the run), sent by a fixed number of workers over as many keep-alive connections, each
/// answer read to the end. Bounded by time and by the number of requests prepared.
/// </summary>
public sealed class SignedRequestLoad
{
    private readonly (byte[] Body, string Signature)[] _requests;
    private readonly Uri _url;
    private int _next = -1;

    private SignedRequestLoad(Uri url, (byte[] Body, string Signature)[] requests) => (_url, _requests) = (url, requests);

    public static SignedRequestLoad Prepare(Uri baseAddress, string authToken, string to, string runPrefix, int count)
    {
        var url = new Uri(baseAddress, WebhookRoutes.IncomingCall);
        var requests = new (byte[], string)[count];
        Parallel.For(0, count, i =>
        {
            // CA + 32 hex digits, random like Twilio's (so every index keyed by CallSid takes its
            // inserts on random leaves, as in production and as pgbench's md5 CallSids do), after the
            // run prefix that counts what was stored.
            var callSid = "CA" + runPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))[..(32 - runPrefix.Length)];
            var form = WebhookForms.IncomingCall(callSid, "+1415555" + (1000 + i % 9000), to);
            var body = new FormUrlEncodedContent(form).ReadAsByteArrayAsync().GetAwaiter().GetResult();
            requests[i] = (body, TwilioSignature.Compute(authToken, url.ToString(), form));
        });
        return new SignedRequestLoad(url, requests);
    }

    /// <summary>wrk when it is installed (as the issue's own figures were measured), else this process's HttpClient.</summary>
    public static string DefaultGenerator => FindOnPath("wrk") is not null ? "wrk" : "dotnet";

    /// <param name="timeline">wrk only: also print the responses completed in each 250 ms of the run (wrk-timeline.lua).</param>
    public Task<LoadFigures> RunAsync(string generator, string target, int connections, TimeSpan duration, string workDirectory, bool timeline = false) =>
        generator == "wrk" ? RunWrkAsync(target, connections, duration, workDirectory, timeline) : RunAsync(target, connections, duration);

    /// <summary>
    /// The same requests sent by wrk (C, epoll): on a 2-core machine the HttpClient generator below
    /// took more CPU than the service it measured (31 % of all samples against the WebhookApi's 18 %,
    /// perf, 2026-12-02), CPU the targets then lacked; pgbench's client is C too.
    /// </summary>
    private async Task<LoadFigures> RunWrkAsync(string target, int connections, TimeSpan duration, string workDirectory, bool timeline)
    {
        var file = Path.Combine(workDirectory, $"requests-{Guid.NewGuid():N}.tsv");
        await using (var writer = new StreamWriter(file))
        {
            foreach (var (body, signature) in _requests)
            {
                await writer.WriteAsync(signature);
                await writer.WriteAsync('\t');
                await writer.WriteLineAsync(System.Text.Encoding.ASCII.GetString(body));
            }
        }
        try
        {
            var threads = Math.Min(2, connections);
            var output = await ChildProcess.RunAsync("wrk",
            [
                "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s", "--timeout", "30s",
                "-s", Path.Combine(AppContext.BaseDirectory, timeline ? "wrk-timeline.lua" : "wrk-signed-requests.lua"), _url.ToString(),
                "--", file, threads.ToString(CultureInfo.InvariantCulture),
            ]);
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("OVRSEE ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException("wrk printed no summary:\n" + output);
            var fields = line[7..].Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
            if (output.Split('\n').FirstOrDefault(l => l.StartsWith("OVRSEE_TIMELINE ", StringComparison.Ordinal)) is { } counts)
            {
                Console.WriteLine($"  {target}: responses per 250 ms: {counts[16..].Trim()}");
            }
            if (fields["exhausted"] > 0)
            {
                Console.WriteLine($"  ({target}: all {_requests.Length} prepared requests were sent before the time was up; repeats followed)");
            }
            return new LoadFigures(target, fields["requests"], fields["errors"] + fields["non2xx"], TimeSpan.FromMicroseconds(fields["duration_us"]),
                fields["p50_us"] / 1000.0, fields["p99_us"] / 1000.0, fields["max_us"] / 1000.0);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);

    public async Task<LoadFigures> RunAsync(string target, int connections, TimeSpan duration)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false,
        }) { Timeout = TimeSpan.FromSeconds(30) };
        var latencies = new List<double>[connections];
        long errors = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = new List<double>(64 * 1024);
            int index;
            while (stopwatch.Elapsed < duration && (index = Interlocked.Increment(ref _next)) < _requests.Length)
            {
                var (body, signature) = _requests[index];
                using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
                request.Headers.TryAddWithoutValidation(TwilioSignature.HeaderName, signature);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                }
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var elapsed = stopwatch.Elapsed;
        var sorted = latencies.SelectMany(l => l).Order().ToArray();
        if (_next >= _requests.Length)
        {
            Console.WriteLine($"  ({target}: all {_requests.Length} prepared requests were sent before the time was up)");
        }
        return new LoadFigures(target, sorted.Length, errors, elapsed, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1]);
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1))];
}
