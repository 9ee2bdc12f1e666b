using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// What agents say to the caller, on its way to Twilio. A bounded queue drained by the only task
/// that sends on Twilio's socket (a WebSocket allows one send at a time). Full queue: the agent
/// waits (its audio is never dropped; TCP pushes back on it). Clear (barge-in) bumps a generation
/// number: queued audio from before it is skipped, and marks from before it are reported to the
/// agent as played, which is what Twilio does with the marks a clear discards.
/// </summary>
public sealed class TwilioOutputQueue(int capacity, CallerStream caller, Func<CancellationToken, Task<bool>> recordHandled) : IAgentOutput
{
    private enum Kind { Media, Mark, Clear }

    private readonly record struct Item(Kind Kind, ReadOnlyMemory<byte> Audio, string? Name, int Generation);

    private readonly Channel<Item> _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private int _generation;
    private long _framesSent;
    private volatile bool _handled;

    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>True once agent-handled is stored: the call hangs up when the stream ends.</summary>
    public bool Handled => _handled;

    /// <remarks><paramref name="muLaw"/> is sent later and must not change meanwhile.</remarks>
    public ValueTask PlayAsync(ReadOnlyMemory<byte> muLaw, CancellationToken cancellationToken) =>
        EnqueueAsync(new Item(Kind.Media, muLaw, null, Volatile.Read(ref _generation)), cancellationToken);

    public ValueTask MarkAsync(string name, CancellationToken cancellationToken) =>
        EnqueueAsync(new Item(Kind.Mark, default, name, Volatile.Read(ref _generation)), cancellationToken);

    public ValueTask ClearAsync(CancellationToken cancellationToken) =>
        EnqueueAsync(new Item(Kind.Clear, default, null, Interlocked.Increment(ref _generation)), cancellationToken);

    public async Task MarkHandledAsync(CancellationToken cancellationToken)
    {
        if (!_handled && await recordHandled(cancellationToken))
        {
            _handled = true;
        }
    }

    /// <summary>No more output: the writer sends what is queued and finishes.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>The only sender on Twilio's socket. Ends when completed, cancelled, or the socket fails.</summary>
    public async Task RunAsync(WebSocket twilio, string streamSid, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                var stale = item.Kind != Kind.Clear && item.Generation != Volatile.Read(ref _generation);
                buffer.ResetWrittenCount();
                switch (item.Kind)
                {
                    case Kind.Media when stale:
                        continue;
                    case Kind.Mark when stale:
                        caller.WriteSignal(new CallerSignal.MarkPlayed(item.Name!));
                        continue;
                    case Kind.Media:
                        TwilioOutbound.WriteMedia(buffer, streamSid, item.Audio.Span);
                        break;
                    case Kind.Mark:
                        TwilioOutbound.WriteMark(buffer, streamSid, item.Name!);
                        break;
                    case Kind.Clear:
                        TwilioOutbound.WriteClear(buffer, streamSid);
                        break;
                }
                await twilio.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                if (item.Kind == Kind.Media)
                {
                    Interlocked.Increment(ref _framesSent);
                }
            }
        }
        finally
        {
            // Agents still writing get a no-op instead of waiting on a queue nobody drains.
            _queue.Writer.TryComplete();
        }
    }

    private async ValueTask EnqueueAsync(Item item, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // The stream is over; there is no one left to hear it.
        }
    }
}
