using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Ovrsee.Twilio;

namespace Ovrsee.Simulator;

/// <summary>
/// Plays Twilio's side of a bidirectional Media Stream with a real ClientWebSocket: signs the
/// upgrade like Twilio (X-Twilio-Signature over the stream URL, no parameters), sends connected,
/// start, media, dtmf and stop, and echoes every mark it receives, as Twilio does once the audio
/// before it has played. Everything the server sends is kept in <see cref="Received"/>.
/// </summary>
public sealed class TwilioMediaStreamClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Channel<JsonElement> _inbox = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _receiveLoop;
    private int _sequence;
    private int _chunk;

    private readonly string _accountSid;

    private TwilioMediaStreamClient(ClientWebSocket socket, string accountSid, bool echoMarks)
    {
        _socket = socket;
        _accountSid = accountSid;
        EchoMarks = echoMarks;
        _receiveLoop = ReceiveLoopAsync();
    }

    public bool EchoMarks { get; set; }
    public string StreamSid { get; } = "MZ" + Guid.NewGuid().ToString("N");
    public List<JsonElement> Received { get; } = [];
    public int MediaFramesSent => _chunk;

    /// <summary>The server's close status once it closed (null if the connection just dropped).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <summary>Twilio signs the handshake over the stream URL from the TwiML, with no parameters.</summary>
    public static string Sign(string authToken, string streamUrl) => TwilioSignature.Compute(authToken, streamUrl, null);

    /// <param name="streamUrl">Where to connect (the local service).</param>
    /// <param name="signedUrl">The URL Twilio would have called (the TwiML's, behind a tunnel); defaults to streamUrl.</param>
    public static async Task<TwilioMediaStreamClient> ConnectAsync(string streamUrl, string authToken, string accountSid, bool echoMarks = true, string? signedUrl = null)
    {
        var (client, status) = await TryConnectAsync(streamUrl, Sign(authToken, signedUrl ?? streamUrl), accountSid, echoMarks);
        return client ?? throw new InvalidOperationException($"Upgrade to {streamUrl} refused with {status}");
    }

    public static async Task<(TwilioMediaStreamClient? Client, HttpStatusCode Status)> TryConnectAsync(string streamUrl, string? signature, string accountSid, bool echoMarks = true)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (signature is not null)
        {
            socket.Options.SetRequestHeader(TwilioSignature.HeaderName, signature);
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(new Uri(streamUrl), timeout.Token);
            return (new TwilioMediaStreamClient(socket, accountSid, echoMarks), socket.HttpStatusCode);
        }
        catch (WebSocketException)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            return (null, status);
        }
    }

    public Task SendConnectedAsync() => SendAsync(new { @event = "connected", protocol = "Call", version = "1.0.0" });

    public Task SendStartAsync(string callSid, IReadOnlyDictionary<string, string> customParameters, string encoding = "audio/x-mulaw") => SendAsync(new
    {
        @event = "start",
        sequenceNumber = NextSequence(),
        start = new
        {
            accountSid = _accountSid,
            streamSid = StreamSid,
            callSid,
            tracks = new[] { "inbound" },
            mediaFormat = new { encoding, sampleRate = 8000, channels = 1 },
            customParameters,
        },
        streamSid = StreamSid,
    });

    /// <summary>One 20 ms frame; chunk and timestamp count up as Twilio's do.</summary>
    public Task SendMediaAsync(byte[] muLaw)
    {
        var chunk = Interlocked.Increment(ref _chunk);
        return SendAsync(new
        {
            @event = "media",
            sequenceNumber = NextSequence(),
            media = new { track = "inbound", chunk = chunk.ToString(), timestamp = ((chunk - 1) * 20).ToString(), payload = Convert.ToBase64String(muLaw) },
            streamSid = StreamSid,
        });
    }

    public Task SendDtmfAsync(string digit) => SendAsync(new
    {
        @event = "dtmf",
        streamSid = StreamSid,
        sequenceNumber = NextSequence(),
        dtmf = new { track = "inbound_track", digit },
    });

    public Task SendStopAsync(string callSid) => SendAsync(new
    {
        @event = "stop",
        sequenceNumber = NextSequence(),
        streamSid = StreamSid,
        stop = new { accountSid = _accountSid, callSid },
    });

    /// <summary>The next message from the server that matches, in arrival order.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var message = await _inbox.Reader.ReadAsync(cts.Token);
            if (match(message))
            {
                return message;
            }
        }
    }

    public static Func<JsonElement, bool> Event(string name, string? markName = null) => message =>
        message.GetProperty("event").GetString() == name
        && (markName is null || message.GetProperty("mark").GetProperty("name").GetString() == markName);

    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null) =>
        await Closed.WaitAsync(timeout ?? TimeSpan.FromSeconds(15));

    private string NextSequence() => Interlocked.Increment(ref _sequence).ToString();

    private async Task SendAsync(object message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _send.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Twilio answers a close with its own and moves on to the Connect action.
                    await _send.WaitAsync();
                    try
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }
                    finally
                    {
                        _send.Release();
                    }
                    _closed.TrySetResult(_socket.CloseStatus);
                    return;
                }

                var message = JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
                lock (Received)
                {
                    Received.Add(message);
                }
                if (EchoMarks && message.GetProperty("event").GetString() == "mark")
                {
                    await SendAsync(new
                    {
                        @event = "mark",
                        sequenceNumber = NextSequence(),
                        streamSid = StreamSid,
                        mark = new { name = message.GetProperty("mark").GetProperty("name").GetString() },
                    });
                }
                await _inbox.Writer.WriteAsync(message);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            _closed.TrySetResult(null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _receiveLoop;
        _socket.Dispose();
        _send.Dispose();
    }
}
