using Ovrsee.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ovrsee.Tests.Streaming;

/// <summary>What the fake agent saw of one call.</summary>
public sealed class AgentCallLog
{
    public required JsonElement Start { get; init; }
    public string CallSid => Start.GetProperty("callSid").GetString()!;
    public int AudioFrames;
    public ConcurrentQueue<long> Chunks { get; } = new();
    public ConcurrentQueue<byte[]> Payloads { get; } = new();
    public ConcurrentQueue<string> Digits { get; } = new();
    public ConcurrentQueue<string> Marks { get; } = new();
    public volatile bool StopReceived;
    public volatile string? StopReason;
    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// A tiny external Aloha agent: Kestrel on 127.0.0.1:0 speaking our agent protocol. The path
/// picks its behaviour (ws://127.0.0.1:port/agent/{behaviour}):
/// converse: greets (two frames and a "greeting" mark), answers a key press with clear, one frame and an "after-dtmf" mark;
/// listen: one greeting frame and a mark, then only listens (the load test);
/// handled: says handled, plays a frame and a "bye" mark, hangs up when Twilio confirms "bye";
/// voicemail: asks for voicemail straight away;
/// transfer: one greeting frame and a "greeting" mark; once Twilio confirms it, asks for a transfer, twice;
/// handled-transfer: says handled, then asks for a transfer, twice;
/// crash: drops the connection (no close frame) after 10 caller frames.
/// </summary>
public sealed class FakeAlohaAgent : IAsyncDisposable
{
    public static readonly byte[] GreetingOne = Enumerable.Range(0, 160).Select(i => (byte)i).ToArray();
    public static readonly byte[] GreetingTwo = Enumerable.Range(0, 160).Select(i => (byte)(255 - i)).ToArray();
    public static readonly byte[] AfterDtmf = Enumerable.Repeat((byte)0x7F, 160).ToArray();

    private readonly WebApplication _app;
    private int _connections;

    private FakeAlohaAgent(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public ConcurrentDictionary<string, AgentCallLog> Calls { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    public string Url(string behaviour) => $"ws://{BaseAddress.Authority}/agent/{behaviour}";

    public static async Task<FakeAlohaAgent> StartAsync()
    {
        var builder = LoopbackWebApp.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        FakeAlohaAgent? agent = null;
        app.Map("/agent/{behaviour}", (HttpContext context, string behaviour) => agent!.HandleAsync(context, behaviour));
        var address = await LoopbackWebApp.StartAsync(app);
        agent = new FakeAlohaAgent(app, address);
        return agent;
    }

    private async Task HandleAsync(HttpContext context, string behaviour)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        Interlocked.Increment(ref _connections);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var send = new SemaphoreSlim(1, 1);
        var buffer = new byte[64 * 1024];
        AgentCallLog? call = null;
        try
        {
            while (true)
            {
                var (type, length) = await ReadAsync(socket, buffer);
                if (type == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    }
                    return;
                }
                using var message = JsonDocument.Parse(buffer.AsMemory(0, length));
                var root = message.RootElement;
                switch (root.GetProperty("type").GetString())
                {
                    case "start":
                        call = new AgentCallLog { Start = root.Clone() };
                        Calls[call.CallSid] = call;
                        await OnStartAsync(socket, send, behaviour);
                        break;
                    case "audio":
                        var frames = Interlocked.Increment(ref call!.AudioFrames);
                        if (behaviour != "listen")
                        {
                            call.Chunks.Enqueue(root.GetProperty("chunk").GetInt64());
                            call.Payloads.Enqueue(root.GetProperty("payload").GetBytesFromBase64());
                        }
                        if (behaviour == "crash" && frames == 10)
                        {
                            context.Abort();
                            return;
                        }
                        break;
                    case "dtmf":
                        call!.Digits.Enqueue(root.GetProperty("digit").GetString()!);
                        if (behaviour == "converse")
                        {
                            await SendAsync(socket, send, new { type = "clear" });
                            await SendAsync(socket, send, new { type = "audio", payload = Convert.ToBase64String(AfterDtmf) });
                            await SendAsync(socket, send, new { type = "mark", name = "after-dtmf" });
                        }
                        break;
                    case "mark":
                        var name = root.GetProperty("name").GetString()!;
                        call!.Marks.Enqueue(name);
                        if (behaviour == "handled" && name == "bye")
                        {
                            await SendAsync(socket, send, new { type = "hangup" });
                        }
                        if (behaviour == "transfer" && name == "greeting")
                        {
                            // The second must change nothing: the call is redirected once.
                            await SendAsync(socket, send, new { type = "transfer" });
                            await SendAsync(socket, send, new { type = "transfer" });
                        }
                        break;
                    case "stop":
                        call!.StopReceived = true;
                        call.StopReason = root.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
        }
        finally
        {
            call?.Ended.TrySetResult();
        }
    }

    private static async Task OnStartAsync(WebSocket socket, SemaphoreSlim send, string behaviour)
    {
        switch (behaviour)
        {
            case "converse":
                await SendAsync(socket, send, new { type = "audio", payload = Convert.ToBase64String(GreetingOne) });
                await SendAsync(socket, send, new { type = "audio", payload = Convert.ToBase64String(GreetingTwo) });
                await SendAsync(socket, send, new { type = "mark", name = "greeting" });
                break;
            case "listen" or "transfer":
                await SendAsync(socket, send, new { type = "audio", payload = Convert.ToBase64String(GreetingOne) });
                await SendAsync(socket, send, new { type = "mark", name = "greeting" });
                break;
            case "handled":
                await SendAsync(socket, send, new { type = "handled" });
                await SendAsync(socket, send, new { type = "audio", payload = Convert.ToBase64String(GreetingOne) });
                await SendAsync(socket, send, new { type = "mark", name = "bye" });
                break;
            case "voicemail":
                await SendAsync(socket, send, new { type = "voicemail" });
                break;
            case "handled-transfer":
                await SendAsync(socket, send, new { type = "handled" });
                await SendAsync(socket, send, new { type = "transfer" });
                await SendAsync(socket, send, new { type = "transfer" });
                break;
        }
    }

    private static async Task SendAsync(WebSocket socket, SemaphoreSlim send, object message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await send.WaitAsync();
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            send.Release();
        }
    }

    private static async Task<(WebSocketMessageType Type, int Length)> ReadAsync(WebSocket socket, byte[] buffer)
    {
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, 0);
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, length);
            }
        }
    }

    public override string ToString() => $"FakeAlohaAgent at {BaseAddress} ({Connections} connections, calls: {string.Join(", ", Calls.Keys)})";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
