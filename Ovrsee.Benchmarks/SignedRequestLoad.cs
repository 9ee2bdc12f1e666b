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
