using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ovrsee.Simulator;

/// <summary>
/// <c>receive-webhooks --port N --secret whsec_...</c>: a customer's webhook endpoint for trying
/// Ovrsee's signed webhooks locally. It verifies each request as the Standard Webhooks spec says
/// (written here from the spec, not with the library that signs them), answers 204 to a genuine
/// one and 401 otherwise, and prints one line per event; a repeated webhook-id (a retry whose
/// answer was lost, or a re-send) is marked as such, which is how a receiver de-duplicates.
/// </summary>
public sealed class WebhookReceiverServer : IAsyncDisposable
{
    /// <summary>How far the webhook-timestamp may be from our clock (the spec's replay window).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly HttpListener _listener;
    private readonly string[] _secrets;
    private readonly Action<string> _output;
    private readonly ConcurrentDictionary<string, int> _seen = new();
    private readonly Task _loop;

    private WebhookReceiverServer(HttpListener listener, string[] secrets, Action<string> output)
    {
        _listener = listener;
        _secrets = secrets;
        _output = output;
        _loop = Task.Run(AcceptAsync);
    }

    public int Verified;
    public int Rejected;

    /// <summary>Distinct webhook-ids verified so far.</summary>
    public int DistinctEvents => _seen.Count;

    public static WebhookReceiverServer Start(int port, IReadOnlyList<string> secrets, Action<string> output)
    {
        foreach (var secret in secrets)
        {
            _ = Key(secret);
        }
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add($"http://localhost:{port}/");
        listener.Start();
        return new WebhookReceiverServer(listener, [.. secrets], output);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int? port = null;
        var secrets = new List<string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port" when int.TryParse(args[i + 1], out var p) && p is > 0 and < 65536:
                    port = p;
                    break;
                case "--secret":
                    // Twice (or comma-separated) during a rotation: either secret verifies.
                    secrets.AddRange(args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                default:
                    return Usage($"Unexpected argument '{args[i]} {args[i + 1]}'.");
            }
        }
        if (args.Length % 2 != 0 || port is null || secrets.Count == 0)
        {
            return Usage("--port and --secret are required.");
        }
        WebhookReceiverServer server;
        try
        {
            server = Start(port.Value, secrets, Console.WriteLine);
        }
        catch (FormatException ex)
        {
            return Usage(ex.Message);
        }
        await using (server)
        {
            Console.WriteLine($"Receiving webhooks at http://127.0.0.1:{port}/ (register it with POST /api/aloha/webhook-endpoints in Development). Ctrl+C stops.");
            var stop = new TaskCompletionSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
            await stop.Task;
            Console.WriteLine($"Stopped: {server.DistinctEvents} distinct event(s), {server.Verified} verified request(s), {server.Rejected} rejected.");
        }
        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine("Usage: receive-webhooks --port 5299 --secret whsec_... [--secret whsec_previous...]");
        return 2;
    }

    /// <summary>True if any signature in the header is v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) under one of the secrets.</summary>
    public static bool Verify(IEnumerable<string> secrets, string id, string timestamp, string body, string signatureHeader, DateTimeOffset now)
    {
        if (id.Length == 0 || !long.TryParse(timestamp, out var seconds)
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return false;
        }
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        var candidates = signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var secret in secrets)
        {
            var expected = Encoding.ASCII.GetBytes("v1," + Convert.ToBase64String(HMACSHA256.HashData(Key(secret), signed)));
            if (candidates.Any(c => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(c), expected)))
            {
                return true;
            }
        }
        return false;
    }

    private static byte[] Key(string secret)
    {
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            throw new FormatException("A webhook secret starts with whsec_ (the endpoint's create or rotate-secret answer).");
        }
        return Convert.FromBase64String(secret["whsec_".Length..]);
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var id = context.Request.Headers["webhook-id"] ?? "";
            var timestamp = context.Request.Headers["webhook-timestamp"] ?? "";
            var signature = context.Request.Headers["webhook-signature"] ?? "";
            if (context.Request.HttpMethod != "POST" || !Verify(_secrets, id, timestamp, body, signature, DateTimeOffset.UtcNow))
            {
                Interlocked.Increment(ref Rejected);
                _output($"REJECTED {context.Request.HttpMethod} {context.Request.Url?.AbsolutePath} webhook-id={id}: signature or timestamp does not verify");
                context.Response.StatusCode = 401;
                return;
            }
            Interlocked.Increment(ref Verified);
            var times = _seen.AddOrUpdate(id, 1, (_, n) => n + 1);
            _output(Describe(id, body) + (times > 1 ? $" (duplicate #{times}: already processed, ignored)" : ""));
            context.Response.StatusCode = 204;
        }
        catch (Exception ex)
        {
            _output($"ERROR handling a request: {ex.Message}");
            context.Response.StatusCode = 500;
        }
        finally
        {
            context.Response.Close();
        }
    }

    private static string Describe(string id, string body)
    {
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            var call = json.TryGetProperty("callId", out var c) && c.ValueKind == JsonValueKind.String ? $" call {c.GetString()} #{json.GetProperty("sequence")}" : "";
            return $"verified {json.GetProperty("type").GetString()} {id} at {json.GetProperty("timestamp").GetString()}{call}: {json.GetProperty("data").GetRawText()}";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"verified {id}: {body}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
