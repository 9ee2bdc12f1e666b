using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Ovrsee.Simulator;

/// <summary>
/// Twilio's media host for the recordings the simulator announces: GET
/// <c>/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav</c> answers a real WAV file
/// (a short tone melody), so the WebhookApi's fetch job downloads something a browser can play.
/// Loopback only; the WebhookApi fetches from it in Development without Twilio credentials.
/// </summary>
public sealed partial class RecordingServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _serving;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _announced = new(StringComparer.Ordinal);

    private RecordingServer(HttpListener listener, Uri baseUrl)
    {
        _listener = listener;
        BaseUrl = baseUrl;
        _serving = ServeAsync();
    }

    public Uri BaseUrl { get; }

    public static RecordingServer Start()
    {
        // HttpListener cannot take port 0: borrow a free port from the OS, retry if someone beats us to it.
        for (var attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var baseUrl = new Uri($"http://127.0.0.1:{port}/");
            var listener = new HttpListener { Prefixes = { baseUrl.ToString() } };
            try
            {
                listener.Start();
                return new RecordingServer(listener, baseUrl);
            }
            catch (HttpListenerException) when (attempt < 5)
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

    private void Answer(HttpListenerContext context)
    {
        using var response = context.Response;
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

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Recordings/(?<sid>RE[0-9a-fA-F]{32})\.wav$")]
    private static partial Regex RecordingPath();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}

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
