using Ovrsee.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ovrsee.Tests.Voicemail;

/// <summary>A tiny real Kestrel server on 127.0.0.1:0 standing in for someone else's HTTP API.</summary>
public sealed class HttpDouble : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpDouble(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>e.g. http://127.0.0.1:54321 (no trailing slash).</summary>
    public Uri BaseAddress { get; }

    public string Url(string path) => BaseAddress.GetLeftPart(UriPartial.Authority) + path;

    public static async Task<HttpDouble> StartAsync(Action<WebApplication> map)
    {
        var builder = LoopbackWebApp.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        var address = await LoopbackWebApp.StartAsync(app);
        return new HttpDouble(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Twilio's recording media URL (<c>/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav</c>).
/// Counts requests and the most that were in flight at once per recording; <see cref="Behaviour"/>
/// decides each answer (fail, hang, block) by recording and request number.
/// </summary>
public sealed class RecordingDouble : IAsyncDisposable
{
    public delegate Task<IResult?> Script(string recordingSid, int requestNumber, CancellationToken requestAborted);

    private readonly ConcurrentDictionary<string, int> _requests = new();
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private readonly ConcurrentDictionary<string, int> _maxInFlight = new();
    private HttpDouble _http = null!;

    public static readonly byte[] Audio = FakeWav(16000);

    /// <summary>Return null to serve the audio.</summary>
    public Script Behaviour { get; set; } = (_, _, _) => Task.FromResult<IResult?>(null);

    /// <summary>Extra time every request takes, so overlapping work would show in <see cref="MaxInFlight"/>.</summary>
    public TimeSpan Latency { get; set; }

    public ConcurrentQueue<string?> Authorizations { get; } = new();

    private readonly ConcurrentDictionary<string, string> _lastAuthorization = new();

    /// <summary>The Authorization header of the latest request for this recording: who fetched it.</summary>
    public string? AuthorizationFor(string recordingSid) => _lastAuthorization.GetValueOrDefault(recordingSid);

    public int Requests(string recordingSid) => _requests.GetValueOrDefault(recordingSid);

    public int TotalRequests => _requests.Values.Sum();

    public int MaxInFlight(string recordingSid) => _maxInFlight.GetValueOrDefault(recordingSid);

    public int MaxInFlightOverall => _maxInFlight.Values.DefaultIfEmpty(0).Max();

    /// <summary>The RecordingUrl Twilio would send for this recording, pointing here.</summary>
    public string RecordingUrl(string recordingSid) =>
        _http.Url($"/2010-04-01/Accounts/{TestAccount}/Recordings/{recordingSid}");

    public Uri BaseAddress => _http.BaseAddress;

    private const string TestAccount = Ovrsee.Tests.Infrastructure.TestServiceEnvironment.AccountSid;

    public static async Task<RecordingDouble> StartAsync()
    {
        var recording = new RecordingDouble();
        recording._http = await HttpDouble.StartAsync(app => app.MapGet("/2010-04-01/Accounts/{account}/Recordings/{file}", recording.ServeAsync));
        return recording;
    }

    private async Task<IResult> ServeAsync(string file, HttpContext context)
    {
        var sid = file.EndsWith(".wav", StringComparison.Ordinal) ? file[..^4] : file;
        var number = _requests.AddOrUpdate(sid, 1, (_, n) => n + 1);
        Authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
        _lastAuthorization[sid] = context.Request.Headers.Authorization.ToString();
        var inFlight = _inFlight.AddOrUpdate(sid, 1, (_, n) => n + 1);
        _maxInFlight.AddOrUpdate(sid, inFlight, (_, max) => Math.Max(max, inFlight));
        try
        {
            if (Latency > TimeSpan.Zero)
            {
                await Task.Delay(Latency, context.RequestAborted);
            }
            return await Behaviour(sid, number, context.RequestAborted) ?? Results.Bytes(Audio, "audio/x-wav");
        }
        finally
        {
            _inFlight.AddOrUpdate(sid, 0, (_, n) => n - 1);
        }
    }

    /// <summary>Hangs until the caller gives up (a timeout, a cancelled job, a killed process).</summary>
    public static async Task<IResult?> Hang(CancellationToken requestAborted)
    {
        await Task.Delay(Timeout.Infinite, requestAborted);
        return null;
    }

    private static byte[] FakeWav(int dataBytes)
    {
        // A valid 8 kHz 16-bit mono PCM header (Twilio's format) followed by a quiet ramp.
        var wav = new byte[44 + dataBytes];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(wav, 0);
        BitConverter.GetBytes(36 + dataBytes).CopyTo(wav, 4);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(wav, 8);
        BitConverter.GetBytes(16).CopyTo(wav, 16);
        BitConverter.GetBytes((short)1).CopyTo(wav, 20);
        BitConverter.GetBytes((short)1).CopyTo(wav, 22);
        BitConverter.GetBytes(8000).CopyTo(wav, 24);
        BitConverter.GetBytes(16000).CopyTo(wav, 28);
        BitConverter.GetBytes((short)2).CopyTo(wav, 32);
        BitConverter.GetBytes((short)16).CopyTo(wav, 34);
        Encoding.ASCII.GetBytes("data").CopyTo(wav, 36);
        BitConverter.GetBytes(dataBytes).CopyTo(wav, 40);
        for (var i = 44; i < wav.Length; i++)
        {
            wav[i] = (byte)(i % 7);
        }
        return wav;
    }

    public ValueTask DisposeAsync() => _http.DisposeAsync();
}

/// <summary>
/// An OpenAI-compatible server: POST /v1/audio/transcriptions (multipart: file, model → {"text"})
/// and POST /v1/chat/completions (→ a chat completion whose message content is <see cref="ChatContent"/>).
/// </summary>
public sealed class OpenAIDouble : IAsyncDisposable
{
    private HttpDouble _http = null!;
    private int _transcriptions;
    private int _completions;

    public string Transcript { get; set; } = "Hi, this is Dana Whitfield. Our water heater is leaking and it's urgent. Please call me back at 415-555-0123.";

    public string ChatContent { get; set; } = """
        {"summary":"Dana Whitfield's water heater is leaking; she asks for an urgent call back.","callerName":"Dana Whitfield","intent":"repair request","urgency":"urgent","callbackNumber":"+14155550123"}
        """;

    public int Transcriptions => Volatile.Read(ref _transcriptions);
    public int Completions => Volatile.Read(ref _completions);

    public ConcurrentQueue<(string? Model, string? FileName, int FileLength, string? Authorization)> TranscriptionRequests { get; } = new();
    public ConcurrentQueue<JsonNode> ChatRequests { get; } = new();

    /// <summary>The base URL clients are configured with (…/v1).</summary>
    public string Endpoint => _http.Url("/v1");

    public static async Task<OpenAIDouble> StartAsync()
    {
        var ai = new OpenAIDouble();
        ai._http = await HttpDouble.StartAsync(app =>
        {
            app.MapPost("/v1/audio/transcriptions", (Func<HttpContext, Task<IResult>>)ai.TranscribeAsync);
            app.MapPost("/v1/chat/completions", (Func<HttpContext, Task<IResult>>)ai.CompleteAsync);
        });
        return ai;
    }

    private async Task<IResult> TranscribeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _transcriptions);
        var form = await context.Request.ReadFormAsync();
        var file = form.Files["file"];
        TranscriptionRequests.Enqueue((form["model"].ToString(), file?.FileName, (int)(file?.Length ?? -1), context.Request.Headers.Authorization.ToString()));
        return Results.Json(new { text = Transcript });
    }

    private async Task<IResult> CompleteAsync(HttpContext context)
    {
        Interlocked.Increment(ref _completions);
        var request = (await JsonNode.ParseAsync(context.Request.Body))!;
        ChatRequests.Enqueue(request);
        var completion = new JsonObject
        {
            ["id"] = "chatcmpl-test",
            ["object"] = "chat.completion",
            ["created"] = 1764072000,
            ["model"] = request["model"]?.GetValue<string>(),
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = ChatContent.Trim(), ["refusal"] = null },
                ["logprobs"] = null,
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 120, ["completion_tokens"] = 40, ["total_tokens"] = 160 },
        };
        return Results.Text(completion.ToJsonString(), "application/json");
    }

    public ValueTask DisposeAsync() => _http.DisposeAsync();
}
