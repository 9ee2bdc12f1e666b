using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Events;

/// <summary>
/// Standard Webhooks verification written from the spec, independent of the StandardWebhooks
/// package the service signs with: the key is the base64 after "whsec_"; a signature is
/// "v1," + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")); the header holds
/// one or more, space-separated, and the request is genuine if any one matches.
/// </summary>
public static class IndependentWebhookVerifier
{
    public static string Signature(string secret, string id, string timestamp, string body)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
    }

    /// <summary>The header's signatures that this secret produced.</summary>
    public static IReadOnlyList<string> Matching(string secret, string id, string timestamp, string body, string signatureHeader)
    {
        var expected = Encoding.ASCII.GetBytes(Signature(secret, id, timestamp, body));
        return [.. signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(candidate => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected))];
    }

    /// <summary>Any signature verifies, and the timestamp is within the spec's five minutes of now.</summary>
    public static bool Verifies(string secret, ReceivedWebhook received) =>
        long.TryParse(received.Timestamp, out var seconds)
        && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) < 300
        && Matching(secret, received.Id, received.Timestamp, received.Body, received.Signature).Count > 0;
}

/// <summary>One request as the receiver got it, and what it answered (0: it hung).</summary>
public sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string Body, int Answer, int Sequence)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    public string Type => Json.GetProperty("type").GetString()!;
    public bool Succeeded => Answer is >= 200 and < 300;
}

/// <summary>
/// A customer's webhook endpoint: a real Kestrel server on loopback that records every request
/// (headers, raw body) in arrival order. It answers 200 unless told otherwise: fail with a status,
/// hang until released, or decide per request.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sequence;

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Decides the answer to a request: a status code, or 0 to hang until <see cref="ReleaseHung"/>.</summary>
    public Func<ReceivedWebhook, int> Answer { get; set; } = _ => 200;

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received.OrderBy(r => r.Sequence)];

    public int Hanging;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = LoopbackWebApp.CreateBuilder();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks", receiver.HandleAsync);
        receiver.Url = new Uri(await LoopbackWebApp.StartAsync(app), "/hooks");
        return receiver;
    }

    public void AlwaysAnswer(int status) => Answer = _ => status;

    public void ReleaseHung() => Interlocked.Exchange(ref _release, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var request = new ReceivedWebhook(
            context.Request.Headers["webhook-id"].ToString(), context.Request.Headers["webhook-timestamp"].ToString(),
            context.Request.Headers["webhook-signature"].ToString(), body, 0, Interlocked.Increment(ref _sequence));
        var answer = Answer(request);
        _received.Enqueue(request with { Answer = answer });
        if (answer == 0)
        {
            Interlocked.Increment(ref Hanging);
            try
            {
                await Volatile.Read(ref _release).Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref Hanging);
            }
            return;
        }
        context.Response.StatusCode = answer;
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseHung();
        await _app.DisposeAsync();
    }
}
