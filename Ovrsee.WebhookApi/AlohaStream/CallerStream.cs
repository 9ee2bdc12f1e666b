using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>20 ms of caller audio as Twilio numbered it (chunk, and milliseconds since the stream began).</summary>
public readonly record struct CallerAudioFrame(long Chunk, long TimestampMs, byte[] MuLaw);

/// <summary>Caller-side events other than audio.</summary>
public abstract record CallerSignal
{
    public sealed record Dtmf(string Digit) : CallerSignal;

    /// <summary>Twilio played the agent's audio up to this mark (or cleared it).</summary>
    public sealed record MarkPlayed(string Name) : CallerSignal;
}

/// <summary>
/// What the agent hears, decoupled from Twilio's receive loop.
/// <para>
/// Back-pressure policy: audio goes through a bounded channel of
/// <see cref="AlohaStreamOptions.CallerAudioBufferFrames"/> frames. Writing never waits: when the
/// agent reads slower than real time and the channel is full, the OLDEST frame is dropped and
/// counted (<see cref="FramesDropped"/>). Stale audio is worth less to a conversation than fresh
/// audio, Twilio's receive loop must keep up with 50 frames a second whatever the agent does, and
/// memory stays bounded. Agents see a gap in <see cref="CallerAudioFrame.Chunk"/>.
/// Signals (DTMF, marks) have a small channel of their own so audio never pushes them out; if
/// even that fills, the agent is not reading at all and further signals are dropped and counted.
/// </para>
/// </summary>
public sealed class CallerStream
{
    public const int SignalCapacity = 64;

    private readonly Channel<CallerAudioFrame> _audio;
    private readonly Channel<CallerSignal> _signals;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _framesReceived;
    private long _framesDropped;
    private long _framesDelivered;
    private long _signalsDropped;

    public CallerStream(int audioCapacity)
    {
        _audio = Channel.CreateBounded<CallerAudioFrame>(
            new BoundedChannelOptions(audioCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleWriter = true,
                SingleReader = false,
                AllowSynchronousContinuations = false,
            },
            _ => Interlocked.Increment(ref _framesDropped));
        _signals = Channel.CreateBounded<CallerSignal>(new BoundedChannelOptions(SignalCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = false,
        });
    }

    public long FramesReceived => Interlocked.Read(ref _framesReceived);
    public long FramesDropped => Interlocked.Read(ref _framesDropped);
    public long FramesDelivered => Interlocked.Read(ref _framesDelivered);
    public long SignalsDropped => Interlocked.Read(ref _signalsDropped);

    /// <summary>Completes when Twilio ended the stream; the audio left in the channel can still be read.</summary>
    public Task Ended => _ended.Task;

    /// <summary>From Twilio's receive loop: never waits.</summary>
    public void WriteAudio(CallerAudioFrame frame)
    {
        Interlocked.Increment(ref _framesReceived);
        // DropOldest: TryWrite only fails once the channel is completed.
        _audio.Writer.TryWrite(frame);
    }

    /// <summary>From Twilio's receive loop: never waits.</summary>
    public void WriteSignal(CallerSignal signal)
    {
        if (!_signals.Writer.TryWrite(signal))
        {
            Interlocked.Increment(ref _signalsDropped);
        }
    }

    /// <summary>Twilio's side is over: readers drain what is buffered and then stop.</summary>
    public void Complete()
    {
        _audio.Writer.TryComplete();
        _signals.Writer.TryComplete();
        _ended.TrySetResult();
    }

    /// <summary>Caller audio in order, until Twilio ends the stream. One reader at a time.</summary>
    public async IAsyncEnumerable<CallerAudioFrame> ReadAudioAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = _audio.Reader;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var frame))
            {
                Interlocked.Increment(ref _framesDelivered);
                yield return frame;
            }
        }
    }

    /// <summary>DTMF and mark echoes in order, until Twilio ends the stream. One reader at a time.</summary>
    public IAsyncEnumerable<CallerSignal> ReadSignalsAsync(CancellationToken cancellationToken = default) =>
        _signals.Reader.ReadAllAsync(cancellationToken);
}
