using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// The fallback when the workspace's agent cannot take the call (no URL, URL refused by policy,
/// connect failed or timed out, or it failed mid-call without saying the call was handled). It
/// plays a short two-note chime, so the caller hears that something is happening rather than
/// silence, waits until Twilio confirms the chime has played, and asks for voicemail; the
/// Connect action's TwiML then speaks the voicemail greeting and records. It needs no network and
/// no files, so it cannot itself be unavailable.
/// </summary>
public sealed class BuiltInVoiceAgent(IOptions<AlohaStreamOptions> options) : IVoiceAgent
{
    public const string AgentName = "builtin";
    public const string GreetingMark = "ovrsee-builtin-greeting";

    public string Name => AgentName;

    public Task<IVoiceAgentSession> ConnectAsync(AgentCall call, CancellationToken cancellationToken) =>
        Task.FromResult<IVoiceAgentSession>(new Session(options.Value.BuiltInPlaybackTimeout));

    private sealed class Session(TimeSpan playbackTimeout) : IVoiceAgentSession
    {
        public async Task<AgentResult> RunAsync(CallerStream caller, IAgentOutput output, CancellationToken cancellationToken)
        {
            // Read (and discard) caller audio so the drop counter means "an agent fell behind",
            // not "the built-in agent does not listen".
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var drain = DrainAsync(caller, stop.Token);
            try
            {
                foreach (var frame in GreetingClip.Frames)
                {
                    await output.PlayAsync(frame, cancellationToken);
                }
                await output.MarkAsync(GreetingMark, cancellationToken);

                var played = WaitForMarkAsync(caller, stop.Token);
                var finished = await Task.WhenAny(played, caller.Ended, Task.Delay(GreetingClip.Duration + playbackTimeout, stop.Token));
                return finished == caller.Ended
                    ? new AgentResult(AgentEnding.CallerGone, "stop")
                    : new AgentResult(AgentEnding.Voicemail, finished == played ? "voicemail" : "voicemail-playback-unconfirmed");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new AgentResult(AgentEnding.CallerGone, "cancelled");
            }
            finally
            {
                await stop.CancelAsync();
                await drain;
            }
        }

        private static async Task WaitForMarkAsync(CallerStream caller, CancellationToken cancellationToken)
        {
            await foreach (var signal in caller.ReadSignalsAsync(cancellationToken))
            {
                if (signal is CallerSignal.MarkPlayed { Name: GreetingMark })
                {
                    return;
                }
            }
            // The stream ended without the echo: wait for the other branches to decide.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        private static async Task DrainAsync(CallerStream caller, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var _ in caller.ReadAudioAsync(cancellationToken))
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// The built-in agent's clip, generated rather than shipped: 660 Hz then 880 Hz, 180 ms each with
/// 10 ms fades (no clicks), 60 ms apart, at a moderate level, as 8 kHz G.711 μ-law in 20 ms frames.
/// </summary>
public static class GreetingClip
{
    public const int SampleRate = 8000;
    public const int FrameBytes = 160;

    public static IReadOnlyList<byte[]> Frames { get; } = Build();

    public static TimeSpan Duration => TimeSpan.FromMilliseconds(Frames.Count * 20);

    private static byte[][] Build()
    {
        var samples = new List<short>();
        Tone(samples, 660, 180);
        Silence(samples, 60);
        Tone(samples, 880, 180);
        Silence(samples, 40);
        while (samples.Count % FrameBytes != 0)
        {
            samples.Add(0);
        }

        var encoded = samples.Select(MuLaw.Encode).ToArray();
        return [.. encoded.Chunk(FrameBytes)];
    }

    private static void Tone(List<short> samples, double frequency, int milliseconds)
    {
        var count = SampleRate * milliseconds / 1000;
        var fade = SampleRate * 10 / 1000;
        for (var i = 0; i < count; i++)
        {
            var envelope = Math.Min(1.0, Math.Min(i, count - 1 - i) / (double)fade);
            samples.Add((short)(Math.Sin(2 * Math.PI * frequency * i / SampleRate) * 8000 * envelope));
        }
    }

    private static void Silence(List<short> samples, int milliseconds) =>
        samples.AddRange(Enumerable.Repeat((short)0, SampleRate * milliseconds / 1000));
}

/// <summary>ITU-T G.711 μ-law, the encoding of Twilio's bidirectional streams.</summary>
public static class MuLaw
{
    private const int Bias = 0x84;
    private const int Clip = 32635;

    public static byte Encode(short pcm)
    {
        int sample = pcm;
        var sign = (sample >> 8) & 0x80;
        if (sign != 0)
        {
            sample = -sample;
        }
        sample = Math.Min(sample, Clip) + Bias;

        var exponent = 7;
        for (var mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1)
        {
            exponent--;
        }
        var mantissa = (sample >> (exponent + 3)) & 0x0F;
        return (byte)~(sign | (exponent << 4) | mantissa);
    }

    public static short Decode(byte muLaw)
    {
        int value = ~muLaw;
        var sign = value & 0x80;
        var exponent = (value >> 4) & 0x07;
        var mantissa = value & 0x0F;
        var sample = (((mantissa << 3) + Bias) << exponent) - Bias;
        return (short)(sign != 0 ? -sample : sample);
    }
}
