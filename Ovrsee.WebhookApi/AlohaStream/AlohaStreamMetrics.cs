using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// Process-wide stream counters: the admission limit (<see cref="AlohaStreamOptions.MaxConcurrentStreams"/>),
/// OpenTelemetry instruments under the "Ovrsee.AlohaStream" meter (ServiceDefaults exports
/// "Ovrsee.*"), and the numbers the optional diagnostics endpoint shows.
/// </summary>
public sealed class AlohaStreamMetrics : IDisposable
{
    public const string MeterName = "Ovrsee.AlohaStream";

    private readonly Meter _meter;
    private readonly Counter<long> _framesReceived;
    private readonly Counter<long> _framesDropped;
    private readonly Counter<long> _streamsRefused;
    private readonly int _maxStreams;
    private long _active;
    private long _started;
    private long _totalFramesReceived;
    private long _totalFramesDropped;
    private long _totalFramesDelivered;
    private long _totalFramesSent;

    public AlohaStreamMetrics(IMeterFactory meterFactory, IOptions<AlohaStreamOptions> options)
    {
        _maxStreams = options.Value.MaxConcurrentStreams;
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableUpDownCounter("ovrsee.aloha_stream.active", () => Interlocked.Read(ref _active), description: "Media streams in progress");
        _framesReceived = _meter.CreateCounter<long>("ovrsee.aloha_stream.caller_frames", description: "Caller audio frames received from Twilio");
        _framesDropped = _meter.CreateCounter<long>("ovrsee.aloha_stream.caller_frames_dropped", description: "Caller audio frames dropped because an agent read slower than real time");
        _streamsRefused = _meter.CreateCounter<long>("ovrsee.aloha_stream.refused", description: "Streams refused (signature, parameters, capacity)");
    }

    public long Active => Interlocked.Read(ref _active);

    /// <summary>Admission: false when <see cref="AlohaStreamOptions.MaxConcurrentStreams"/> are already running.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _active) > _maxStreams)
        {
            Interlocked.Decrement(ref _active);
            return false;
        }
        Interlocked.Increment(ref _started);
        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _active);

    public void Refused(string reason) => _streamsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void StreamEnded(CallerStream caller, long framesSent)
    {
        Interlocked.Add(ref _totalFramesReceived, caller.FramesReceived);
        Interlocked.Add(ref _totalFramesDropped, caller.FramesDropped);
        Interlocked.Add(ref _totalFramesDelivered, caller.FramesDelivered);
        Interlocked.Add(ref _totalFramesSent, framesSent);
        _framesReceived.Add(caller.FramesReceived);
        _framesDropped.Add(caller.FramesDropped);
    }

    public object Snapshot() => new
    {
        activeStreams = Active,
        startedStreams = Interlocked.Read(ref _started),
        callerFramesReceived = Interlocked.Read(ref _totalFramesReceived),
        callerFramesDelivered = Interlocked.Read(ref _totalFramesDelivered),
        callerFramesDropped = Interlocked.Read(ref _totalFramesDropped),
        agentFramesSent = Interlocked.Read(ref _totalFramesSent),
    };

    public void Dispose() => _meter.Dispose();
}
