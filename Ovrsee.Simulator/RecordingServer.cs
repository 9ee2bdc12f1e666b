using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ovrsee.Simulator;

/// <summary>
/// The simulator's corner of Twilio's REST API, loopback only:
/// <list type="bullet">
/// <item>Twilio's media host for the recordings the simulator announces: GET
/// <c>/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav</c> answers a real WAV file
/// (a short tone melody), so the WebhookApi's fetch job downloads something a browser can play.
/// The WebhookApi fetches from it in Development without Twilio credentials.</item>
/// <item>A live call's update (POST <c>/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json</c> with
/// <c>Twiml</c> or <c>Url</c>), what an agent's transfer sends: handed to the simulated call, which
/// leaves its stream and follows it as Twilio would. Reaches here when the WebhookApi's
/// <c>Twilio:BaseUrl</c> is this server's <see cref="BaseUrl"/>.</item>
/// </list>
/// </summary>
public sealed partial class RecordingServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _serving;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _announced = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<CallUpdate>> _updates = new(StringComparer.Ordinal);

    private RecordingServer(HttpListener listener, Uri baseUrl)
    {
        _listener = listener;
        BaseUrl = baseUrl;
        _serving = ServeAsync();
    }

    public Uri BaseUrl { get; }

    /// <param name="port">A fixed port (so a WebhookApi's Twilio:BaseUrl can name it); null: any free one.</param>
    public static RecordingServer Start(int? port = null)
    {
        // HttpListener cannot take port 0: borrow a free port from the OS, retry if someone beats us to it.
        for (var attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, port ?? 0);
            probe.Start();
            var chosen = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var baseUrl = new Uri($"http://127.0.0.1:{chosen}/");
            var listener = new HttpListener { Prefixes = { baseUrl.ToString() } };
            try
            {
                listener.Start();
                return new RecordingServer(listener, baseUrl);
            }
            catch (HttpListenerException) when (attempt < 5 && port is null)
            {
                listener.Close();
            }
        }
    }

    /// <summary>The RecordingUrl Twilio would send for this recording (no extension, as Twilio sends it).</summary>
    public string Announce(string accountSid, string recordingSid)
    {
        _announced.TryAdd(recordingSid, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return new Uri(BaseUrl, $"2010-04-01/Accounts/{accountSid}/Recordings/{recordingSid}").ToString();
    }

    public int Announced => _announced.Count;

    /// <summary>Waits until every announced recording was downloaded at least once; returns how many were.</summary>
    public async Task<int> WaitForDownloadsAsync(TimeSpan timeout)
    {
        var all = Task.WhenAll(_announced.Values.Select(t => t.Task));
        await Task.WhenAny(all, Task.Delay(timeout));
        return _announced.Values.Count(t => t.Task.IsCompleted);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Answer(context));
        }
    }

    /// <summary>The first update of a call, when it comes (one per call: Twilio runs the latest, we send one).</summary>
    public Task<CallUpdate> UpdateOf(string callSid) =>
        _updates.GetOrAdd(callSid, _ => new TaskCompletionSource<CallUpdate>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private void Answer(HttpListenerContext context)
    {
        using var response = context.Response;
        if (context.Request.HttpMethod == "POST" && CallPath().Match(context.Request.Url?.AbsolutePath ?? "") is { Success: true } call)
        {
            AnswerUpdate(context, call.Groups["account"].Value, call.Groups["sid"].Value);
            return;
        }
        var match = RecordingPath().Match(context.Request.Url?.AbsolutePath ?? "");
        if (context.Request.HttpMethod != "GET" || !match.Success || !_announced.TryGetValue(match.Groups["sid"].Value, out var downloaded))
        {
            response.StatusCode = 404;
            return;
        }
        var audio = ToneWav.Create(match.Groups["sid"].Value);
        response.ContentType = "audio/x-wav";
        response.ContentLength64 = audio.Length;
        response.OutputStream.Write(audio);
        downloaded.TrySetResult();
    }

    private void AnswerUpdate(HttpListenerContext context, string accountSid, string callSid)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var form = System.Web.HttpUtility.ParseQueryString(reader.ReadToEnd());
        var update = new CallUpdate(form["Twiml"], form["Url"]);
        if (update.Twiml is null && update.Url is null)
        {
            // Twilio's answer to an update that says nothing to do.
            context.Response.StatusCode = 400;
            return;
        }
        _updates.GetOrAdd(callSid, _ => new TaskCompletionSource<CallUpdate>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(update);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["sid"] = callSid, ["account_sid"] = accountSid, ["status"] = "in-progress", ["api_version"] = "2010-04-01",
            ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Calls/{callSid}.json",
        });
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = body.Length;
        context.Response.OutputStream.Write(body);
    }

    [GeneratedRegex(@"^/2010-04-01/Accounts/(?<account>AC[0-9a-fA-F]{32})/Calls/(?<sid>CA[0-9a-zA-Z]{32})\.json$")]
    private static partial Regex CallPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Recordings/(?<sid>RE[0-9a-fA-F]{32})\.wav$")]
    private static partial Regex RecordingPath();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}

/// <summary>A call update as Twilio received it: new TwiML, or a URL to fetch it from.</summary>
public sealed record CallUpdate(string? Twiml, string? Url);

/// <summary>A few seconds of 8 kHz 16-bit mono PCM: a short tone melody, different per recording.</summary>
public static class ToneWav
{
    private const int SampleRate = 8000;

    public static byte[] Create(string seed)
    {
        double[] notes = [523.25, 659.25, 783.99, 659.25, 587.33, 523.25];
        var offset = (int)((uint)StringComparer.Ordinal.GetHashCode(seed) % notes.Length);
        var noteSamples = SampleRate * 2 / 5;
        var samples = new short[noteSamples * notes.Length];
        for (var n = 0; n < notes.Length; n++)
        {
            var frequency = notes[(n + offset) % notes.Length];
            for (var i = 0; i < noteSamples; i++)
            {
                // A soft attack and release per note, so it sounds like tones, not clicks.
                var envelope = Math.Min(1.0, Math.Min(i, noteSamples - i) / (SampleRate * 0.02));
                samples[n * noteSamples + i] = (short)(0.3 * short.MaxValue * envelope * Math.Sin(2 * Math.PI * frequency * i / SampleRate));
            }
        }

        using var wav = new MemoryStream();
        using var writer = new BinaryWriter(wav);
        var dataBytes = samples.Length * 2;
        writer.Write("RIFF"u8);
        writer.Write(36 + dataBytes);
        writer.Write("WAVEfmt "u8);
        writer.Write(16);                 // fmt chunk size
        writer.Write((short)1);           // PCM
        writer.Write((short)1);           // mono
        writer.Write(SampleRate);
        writer.Write(SampleRate * 2);     // bytes per second
        writer.Write((short)2);           // block align
        writer.Write((short)16);          // bits per sample
        writer.Write("data"u8);
        writer.Write(dataBytes);
        foreach (var sample in samples)
        {
            writer.Write(sample);
        }
        writer.Flush();
        return wav.ToArray();
    }
}
