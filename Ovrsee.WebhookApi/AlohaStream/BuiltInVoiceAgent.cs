using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// The agent that needs no network and no files, so it cannot itself be unavailable. Two roles:
/// <list type="bullet">
/// <item>The <b>fallback</b> when the workspace's agent cannot take the call (no URL, URL refused by
/// policy, connect failed or timed out, or it failed mid-call without saying the call was
/// handled): a short two-note chime, so the caller hears that something is happening rather than
/// silence, then voicemail as soon as Twilio confirms the chime has played.</item>
/// <item>The workspace's <b>chosen</b> agent (<c>workspaces.agent_builtin</c>, the dev workspace's
/// default): it says who it is and how to leave a message (<see cref="SpokenPrompt"/>), then it listens. A key press means the caller wants to leave a
/// message: it stops talking (clear) and hands over to voicemail at once. Without one it hands
/// over after <see cref="AlohaStreamOptions.BuiltInListenTimeout"/>, so nobody waits in silence.</item>
/// </list>
/// Either way the stream ends without <c>agent-handled</c>, so the Connect action's TwiML speaks
/// the voicemail greeting and records. In either role, 0 on a number with <c>transferOnDtmfZero</c>
/// is a transfer to a person instead (<see cref="CallTransfer"/>).
/// </summary>
public sealed class BuiltInVoiceAgent(IOptions<AlohaStreamOptions> options) : IVoiceAgent
{
    public const string AgentName = "builtin";
    public const string GreetingMark = "ovrsee-builtin-greeting";
    public const string CallerAskedForVoicemail = "caller-asked-for-voicemail";

    public string Name => AgentName;

    public Task<IVoiceAgentSession> ConnectAsync(AgentCall call, CancellationToken cancellationToken) =>
        Task.FromResult<IVoiceAgentSession>(call.BuiltInAgent
            ? new Session(SpokenPrompt.Frames, options.Value.BuiltInPlaybackTimeout, options.Value.BuiltInListenTimeout, call.TransferOnDtmfZero)
            : new Session(GreetingClip.Frames, options.Value.BuiltInPlaybackTimeout, listenTimeout: null, call.TransferOnDtmfZero));

    /// <param name="greeting">μ-law frames played first; a key press interrupts them.</param>
    /// <param name="listenTimeout">Null for the fallback: voicemail as soon as the greeting has played.</param>
    /// <param name="transferOnZero">The number lets the caller press 0 for a person, in either role.</param>
    private sealed class Session(IReadOnlyList<byte[]> greeting, TimeSpan playbackTimeout, TimeSpan? listenTimeout, bool transferOnZero) : IVoiceAgentSession
    {
        public async Task<AgentResult> RunAsync(CallerStream caller, IAgentOutput output, CancellationToken cancellationToken)
        {
            // Read (and discard) caller audio so the drop counter means "an agent fell behind",
            // not "the built-in agent does not listen".
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var drain = DrainAsync(caller, stop.Token);
            try
            {
                // Listening starts before the greeting is queued: a key pressed while it plays interrupts it.
                var decided = DecideAsync(caller, stop.Token);
                foreach (var frame in greeting)
                {
                    if (decided.IsCompleted)
                    {
                        break;
                    }
                    await output.PlayAsync(frame, cancellationToken);
                }
                if (!decided.IsCompleted)
                {
                    await output.MarkAsync(GreetingMark, cancellationToken);
                }

                var deadline = TimeSpan.FromMilliseconds(greeting.Count * 20) + playbackTimeout + (listenTimeout ?? TimeSpan.Zero);
                var finished = await Task.WhenAny(decided, caller.Ended, Task.Delay(deadline, stop.Token));
                if (finished == caller.Ended)
                {
                    return new AgentResult(AgentEnding.CallerGone, "stop");
                }
                if (finished != decided)
                {
                    return new AgentResult(AgentEnding.Voicemail, listenTimeout is null ? "voicemail-playback-unconfirmed" : "no-input");
                }
                var result = await decided;
                if (result.Reason == CallerAskedForVoicemail || result.Ending == AgentEnding.Transfer)
                {
                    // Barge-in: whatever of the greeting has not played yet is dropped.
                    await output.ClearAsync(cancellationToken);
                }
                return result;
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

        /// <summary>What the caller's signals decide; never completes when the stream ends without a decision.</summary>
        private async Task<AgentResult> DecideAsync(CallerStream caller, CancellationToken cancellationToken)
        {
            using var listening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                await foreach (var signal in caller.ReadSignalsAsync(listening.Token))
                {
                    switch (signal)
                    {
                        case CallerSignal.Dtmf { Digit: CallTransfer.TransferDigit } when transferOnZero:
                            return new AgentResult(AgentEnding.Transfer, CallTransfer.CallerPressedZero);
                        case CallerSignal.MarkPlayed { Name: GreetingMark } when listenTimeout is null:
                            return new AgentResult(AgentEnding.Voicemail, "voicemail");
                        case CallerSignal.MarkPlayed { Name: GreetingMark }:
                            listening.CancelAfter(listenTimeout.Value);
                            break;
                        case CallerSignal.Dtmf when listenTimeout is not null:
                            return new AgentResult(AgentEnding.Voicemail, CallerAskedForVoicemail);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new AgentResult(AgentEnding.Voicemail, "no-input");
            }
            // The stream ended without a decision: the other branches decide.
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new AgentResult(AgentEnding.CallerGone, "stop");
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
