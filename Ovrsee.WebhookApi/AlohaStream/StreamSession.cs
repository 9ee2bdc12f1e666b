using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Infrastructure;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>Everything a stream session needs that outlives it; starts one session per accepted socket.</summary>
public sealed class AlohaStreamSessions(
    IOptions<AlohaStreamOptions> options,
    IOptions<WebhookRecorderOptions> database,
    StreamCallLookup lookup,
    StreamTimeline timeline,
    ExternalVoiceAgent external,
    BuiltInVoiceAgent builtIn,
    CallTransfer transfer,
    AlohaStreamMetrics metrics,
    ILogger<StreamSession> logger)
{
    // Calls with a stream in this process: stream-started is written asynchronously, so the
    // database alone would let a replay that races the first stream through.
    private readonly ConcurrentDictionary<string, byte> _activeCalls = new(StringComparer.Ordinal);

    internal AlohaStreamOptions Options => options.Value;
    internal TimeSpan DatabaseTimeout => database.Value.DatabaseTimeout;
    internal StreamCallLookup Lookup => lookup;
    internal StreamTimeline Timeline => timeline;
    internal ExternalVoiceAgent External => external;
    internal BuiltInVoiceAgent BuiltIn => builtIn;
    internal CallTransfer Transfer => transfer;
    internal AlohaStreamMetrics Metrics => metrics;
    internal ILogger Logger => logger;

    /// <param name="baseUrl">Our public base URL as Twilio reaches us (for the TwiML of a transfer).</param>
    public Task RunAsync(WebSocket twilio, string baseUrl, CancellationToken cancellationToken) =>
        new StreamSession(twilio, baseUrl, this).RunAsync(cancellationToken);

    internal bool TryClaim(string callSid) => _activeCalls.TryAdd(callSid, 0);

    internal void Release(string callSid) => _activeCalls.TryRemove(callSid, out _);
}

/// <summary>
/// One Twilio Media Stream (one call), from the upgraded socket to its close.
/// <list type="number">
/// <item>Twilio sends <c>connected</c> then <c>start</c>; the start's CallSid, account and our
/// customParameters (callLogId, workspaceId) must match the database, else the socket is closed
/// with 1008 (policy violation) and nothing is written.</item>
/// <item>The call is on the timeline from then on: stream-started, agent-connected or
/// agent-unavailable (+ the built-in agent), dtmf, mark, agent-failed, agent-handled,
/// stream-stopped (who ended it, why, and the frame counters).</item>
/// <item>Twilio's receive loop only parses and hands over: audio into the caller's bounded
/// channel (<see cref="CallerStream"/>), timeline events into the non-blocking timeline queue.
/// Nothing in it waits on the agent or on PostgreSQL.</item>
/// <item>The agent runs until it ends the call or Twilio does. If it fails before saying it
/// handled the call, the built-in agent takes over and sends the caller to voicemail.</item>
/// <item>A transfer (the agent's <c>transfer</c>, or 0 where the number allows it) redirects the live
/// call through Twilio's REST API first (<see cref="CallTransfer"/>), then ends the stream like any other ending.</item>
/// <item>We end the stream by closing the socket; Twilio then requests the Connect action, which
/// answers Hangup when agent-handled was recorded and voicemail otherwise.</item>
/// </list>
/// </summary>
public sealed partial class StreamSession
{
    private const int MaxStoredTextLength = 200;

    private readonly WebSocket _twilio;
    private readonly string _baseUrl;
    private readonly AlohaStreamSessions _services;
    private readonly AlohaStreamOptions _options;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private AgentCall _call = null!;
    private string _agentName = "none";
    private string? _twilioEnd;
    private int _timelineBudget;
    private long _localSequence;

    internal StreamSession(WebSocket twilio, string baseUrl, AlohaStreamSessions services)
    {
        _twilio = twilio;
        _baseUrl = baseUrl;
        _services = services;
        _options = services.Options;
        _timelineBudget = _options.MaxTimelineEventsPerStream;
    }

    private ILogger Logger => _services.Logger;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxTwilioMessageBytes);
        try
        {
            if (await ReadStartAsync(buffer, cancellationToken) is not { } start)
            {
                _services.Metrics.Refused("no-start");
                await RefuseAsync(buffer, WebSocketCloseStatus.PolicyViolation, "expected connected and start");
                return;
            }

            var callSid = start.Start?.CallSid ?? "";
            if (!_services.TryClaim(callSid))
            {
                _services.Metrics.Refused("parameters");
                Logger.LogWarning("Stream {StreamSid} refused: call {CallSid} already has a stream", start.Start?.StreamSid, callSid);
                await RefuseAsync(buffer, WebSocketCloseStatus.PolicyViolation, "stream parameters do not match the call");
                return;
            }
            try
            {
                await VerifyAndRunAsync(start, buffer, cancellationToken);
            }
            finally
            {
                _services.Release(callSid);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task VerifyAndRunAsync(TwilioInbound start, byte[] buffer, CancellationToken cancellationToken)
    {
        AgentCall? call;
        try
        {
            call = await VerifyAsync(start, cancellationToken);
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            // Twilio runs the Connect action next, which still reaches voicemail without PostgreSQL.
            Logger.LogWarning("PostgreSQL unavailable ({Error}); stream for {CallSid} closed", ex.GetType().Name, start.Start?.CallSid);
            await RefuseAsync(buffer, WebSocketCloseStatus.InternalServerError, "try again later");
            return;
        }
        if (call is null)
        {
            _services.Metrics.Refused("parameters");
            Logger.LogWarning("Stream {StreamSid} refused: its parameters do not match call {CallSid}", start.Start?.StreamSid, start.Start?.CallSid);
            await RefuseAsync(buffer, WebSocketCloseStatus.PolicyViolation, "stream parameters do not match the call");
            return;
        }

        _call = call;
        await RunCallAsync(start.Start!, buffer, cancellationToken);
    }

    /// <summary>Reads up to the start message; null when Twilio sends anything else, closes, or takes too long.</summary>
    private async Task<TwilioInbound?> ReadStartAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartTimeout);
        try
        {
            while (true)
            {
                var message = await WebSocketMessageReader.ReadAsync(_twilio, buffer, _options.MaxTwilioMessageBytes, timeout.Token);
                if (message.Type != WebSocketMessageType.Text || message.TooLarge)
                {
                    return null;
                }
                var inbound = TwilioInbound.Parse(buffer.AsSpan(0, message.Length));
                switch (inbound?.Event)
                {
                    case "connected":
                        continue;
                    case "start" when inbound.Start is not null:
                        return inbound;
                    default:
                        return null;
                }
            }
        }
        catch (Exception)
        {
            // Timed out, reset or malformed at the WebSocket level: no start, no stream.
            return null;
        }
    }

    private async Task<AgentCall?> VerifyAsync(TwilioInbound inbound, CancellationToken cancellationToken)
    {
        var start = inbound.Start!;
        var parameters = start.CustomParameters;
        if (!CallSidPattern().IsMatch(start.CallSid ?? "")
            || !StreamSidPattern().IsMatch(start.StreamSid ?? "")
            || parameters is null
            || !Guid.TryParse(parameters.GetValueOrDefault("callLogId"), out var callLogId)
            || !Guid.TryParse(parameters.GetValueOrDefault("workspaceId"), out var workspaceId))
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_services.DatabaseTimeout);
        return await _services.Lookup.FindAsync(start.CallSid!, start.StreamSid!, start.AccountSid, callLogId, workspaceId, timeout.Token);
    }

    /// <summary>Closes a stream we will not serve, politely: our close frame, then Twilio's, within the close timeout.</summary>
    private async Task RefuseAsync(byte[] buffer, WebSocketCloseStatus status, string description)
    {
        await WebSocketMessageReader.CloseOutputQuietlyAsync(_twilio, status, description, _options.CloseTimeout);
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            while (_twilio.State == WebSocketState.CloseSent)
            {
                var message = await WebSocketMessageReader.ReadAsync(_twilio, buffer, _options.MaxTwilioMessageBytes, timeout.Token);
                if (message.Type == WebSocketMessageType.Close || message.TooLarge)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
        }
    }

    private async Task RunCallAsync(TwilioStart start, byte[] buffer, CancellationToken cancellationToken)
    {
        var caller = new CallerStream(_options.CallerAudioBufferFrames);
        var output = new TwilioOutputQueue(_options.OutboundQueueItems, caller, RecordHandledAsync);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        Record("stream-started", _call.StreamSid, new()
        {
            ["streamSid"] = _call.StreamSid,
            ["tracks"] = start.Tracks,
            ["mediaFormat"] = start.MediaFormat,
        });

        var receive = ReceiveLoopAsync(caller, buffer, session.Token);
        var writer = output.RunAsync(_twilio, _call.StreamSid, session.Token);

        (string EndedBy, string Reason) ending;
        if (start.MediaFormat?.IsMuLaw8kMono != true)
        {
            // Agents are promised μ-law 8 kHz; anything else goes to voicemail rather than to noise.
            ending = ("server", "unsupported-media-format");
        }
        else
        {
            try
            {
                var result = await TalkAsync(caller, output, session.Token);
                ending = result.Ending switch
                {
                    AgentEnding.Transfer => await TransferAsync(result, session.Token),
                    AgentEnding.Voicemail or AgentEnding.Hangup => ("agent", result.Reason),
                    AgentEnding.CallerGone => TwilioEnding(),
                    _ => ("server", result.Reason),
                };
            }
            catch (OperationCanceledException) when (session.IsCancellationRequested)
            {
                ending = ("server", "shutdown");
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the stream still ends normally so Twilio runs the Connect
                // action: the caller reaches voicemail, never an application error.
                Logger.LogError(ex, "Stream {StreamSid} for {CallSid} failed", _call.StreamSid, _call.CallSid);
                ending = ("server", "error");
            }
        }

        // Our side of the end: what is queued goes out, then our close frame. Twilio answers with
        // its own and then requests the Connect action.
        output.Complete();
        if (!await TaskDeadline.CompletesWithinAsync(writer, _options.CloseTimeout))
        {
            _twilio.Abort();
        }
        await WebSocketMessageReader.CloseOutputQuietlyAsync(_twilio, WebSocketCloseStatus.NormalClosure, ending.Reason, _options.CloseTimeout);
        if (!await TaskDeadline.CompletesWithinAsync(receive, _options.CloseTimeout))
        {
            _twilio.Abort();
            await TaskDeadline.CompletesWithinAsync(receive, _options.CloseTimeout);
        }
        await session.CancelAsync();

        _services.Metrics.StreamEnded(caller, output.FramesSent);
        Record("stream-stopped", _call.StreamSid, new()
        {
            ["endedBy"] = ending.EndedBy,
            ["reason"] = ending.Reason,
            ["agent"] = _agentName,
            ["agentHandled"] = output.Handled,
            ["callerFramesReceived"] = caller.FramesReceived,
            ["callerFramesDelivered"] = caller.FramesDelivered,
            ["callerFramesDropped"] = caller.FramesDropped,
            ["callerSignalsDropped"] = caller.SignalsDropped,
            ["agentFramesSent"] = output.FramesSent,
            ["durationMs"] = (long)(DateTimeOffset.UtcNow - _startedAt).TotalMilliseconds,
        });
        if (Logger.IsEnabled(LogLevel.Information))
        {
            Logger.LogInformation("Stream {StreamSid} for {CallSid} ended by {EndedBy} ({Reason}); agent {Agent}, handled {Handled}, caller frames {Received} received, {Dropped} dropped",
                _call.StreamSid, _call.CallSid, ending.EndedBy, ending.Reason, _agentName, output.Handled, caller.FramesReceived, caller.FramesDropped);
        }
    }

    /// <summary>
    /// Redirects the call before the stream closes: Twilio then stops the stream itself and never asks
    /// the Connect action. When the redirect fails, closing the stream makes Twilio ask it, and the
    /// recorded transfer-failed makes its answer voicemail.
    /// </summary>
    private async Task<(string EndedBy, string Reason)> TransferAsync(AgentResult result, CancellationToken cancellationToken)
    {
        var endedBy = result.Reason == CallTransfer.CallerPressedZero ? "caller" : "agent";
        var transfer = await _services.Transfer.TransferAsync(_call, _agentName, _baseUrl, result.Reason, cancellationToken);
        return (endedBy, transfer.Reason);
    }

    private (string EndedBy, string Reason) TwilioEnding() => _twilioEnd switch
    {
        "cancelled" => ("server", "shutdown"),
        "twilio-message-too-large" => ("server", "twilio-message-too-large"),
        null => ("twilio", "stop"),
        var reason => ("twilio", reason),
    };

    /// <summary>The workspace's agent, and the built-in one if it is unavailable or fails before handling the call.</summary>
    private async Task<AgentResult> TalkAsync(CallerStream caller, TwilioOutputQueue output, CancellationToken cancellationToken)
    {
        var agent = await ConnectAgentAsync(cancellationToken);
        AgentResult result;
        await using (agent)
        {
            result = await agent.RunAsync(caller, output, cancellationToken);
        }
        if (result.Ending != AgentEnding.Failed || output.Handled || caller.Ended.IsCompleted || cancellationToken.IsCancellationRequested)
        {
            return result;
        }

        Logger.LogWarning("Agent {Agent} failed on {CallSid} ({Reason}); the built-in agent takes the caller to voicemail", _agentName, _call.CallSid, result.Reason);
        Record("agent-failed", $"{_call.StreamSid}:{_agentName}", new() { ["agent"] = _agentName, ["reason"] = result.Reason });
        // Whatever the failed agent left queued would otherwise play before the chime.
        await output.ClearAsync(cancellationToken);
        await using var fallback = await UseBuiltInAsync(fallbackFrom: _agentName, cancellationToken);
        return await fallback.RunAsync(caller, output, cancellationToken);
    }

    private async Task<IVoiceAgentSession> ConnectAgentAsync(CancellationToken cancellationToken)
    {
        var external = _services.External;
        if (_call.BuiltInAgent)
        {
            return await UseBuiltInAsync(fallbackFrom: null, cancellationToken);
        }
        if (string.IsNullOrEmpty(_call.AgentStreamUrl))
        {
            Record("agent-unavailable", _call.StreamSid, new() { ["agent"] = external.Name, ["reason"] = "no-agent-url" });
            return await UseBuiltInAsync(fallbackFrom: null, cancellationToken);
        }
        try
        {
            var session = await external.ConnectAsync(_call, cancellationToken);
            _agentName = external.Name;
            Record("agent-connected", $"{_call.StreamSid}:{external.Name}", new() { ["agent"] = external.Name });
            return session;
        }
        catch (VoiceAgentUnavailableException ex)
        {
            Logger.LogWarning("Agent of workspace {WorkspaceId} unavailable for {CallSid}: {Reason}", _call.WorkspaceId, _call.CallSid, ex.Reason);
            Record("agent-unavailable", _call.StreamSid, new() { ["agent"] = external.Name, ["reason"] = ex.Reason });
            return await UseBuiltInAsync(fallbackFrom: null, cancellationToken);
        }
    }

    private async Task<IVoiceAgentSession> UseBuiltInAsync(string? fallbackFrom, CancellationToken cancellationToken)
    {
        var builtIn = _services.BuiltIn;
        var session = await builtIn.ConnectAsync(_call, cancellationToken);
        _agentName = builtIn.Name;
        Record("agent-connected", $"{_call.StreamSid}:{builtIn.Name}", new() { ["agent"] = builtIn.Name, ["fallbackFrom"] = fallbackFrom });
        return session;
    }

    /// <summary>
    /// Twilio's side. Parses and hands over, never waits on anything but the socket: audio and
    /// signals go to the caller's channels (non-blocking), events to the timeline queue (non-blocking).
    /// </summary>
    private async Task ReceiveLoopAsync(CallerStream caller, byte[] buffer, CancellationToken cancellationToken)
    {
        var end = "socket-closed";
        try
        {
            while (true)
            {
                var message = await WebSocketMessageReader.ReadAsync(_twilio, buffer, _options.MaxTwilioMessageBytes, cancellationToken);
                if (message.Type == WebSocketMessageType.Close)
                {
                    return;
                }
                if (message.TooLarge)
                {
                    end = "twilio-message-too-large";
                    return;
                }
                if (message.Type == WebSocketMessageType.Text)
                {
                    Handle(buffer.AsSpan(0, message.Length), caller);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            end = "cancelled";
        }
        catch (Exception)
        {
            // The connection went away without a close frame (reset, Kestrel's
            // ConnectionAbortedException, a protocol error): Twilio's side is over either way.
            end = "socket-lost";
        }
        finally
        {
            Interlocked.CompareExchange(ref _twilioEnd, end, null);
            caller.Complete();
        }
    }

    private void Handle(ReadOnlySpan<byte> json, CallerStream caller)
    {
        if (TwilioInbound.Parse(json) is not { } inbound)
        {
            return;
        }
        switch (inbound.Event)
        {
            case "media":
                // A bidirectional stream carries only the caller's track; anything else is not for the agent.
                if (inbound.Media is not { Payload: { Length: > 0 } payload } media || (media.Track is not null && media.Track != "inbound"))
                {
                    return;
                }
                byte[] audio;
                try
                {
                    audio = Convert.FromBase64String(payload);
                }
                catch (FormatException)
                {
                    return;
                }
                caller.WriteAudio(new CallerAudioFrame(ParseLong(media.Chunk), ParseLong(media.Timestamp), audio));
                break;

            case "dtmf" when inbound.Dtmf?.Digit is { Length: > 0 and <= 4 } digit:
                caller.WriteSignal(new CallerSignal.Dtmf(digit));
                RecordLimited("dtmf", EventKey(inbound), new() { ["digit"] = digit, ["sequenceNumber"] = inbound.SequenceNumber });
                break;

            case "mark" when inbound.Mark?.Name is { Length: > 0 } name:
                caller.WriteSignal(new CallerSignal.MarkPlayed(name));
                RecordLimited("mark", EventKey(inbound), new() { ["name"] = Truncate(name), ["sequenceNumber"] = inbound.SequenceNumber });
                break;

            case "stop":
                // Tell the agent now; the loop keeps reading until Twilio's close frame.
                Interlocked.CompareExchange(ref _twilioEnd, "stop", null);
                caller.Complete();
                break;
        }
    }

    private void Record(string kind, string dedupeKey, Dictionary<string, object?> payload) =>
        _services.Timeline.Enqueue(new TimelineEvent(_call.CallLogId, _call.WorkspaceId, _call.CallSid, kind, dedupeKey, DateTimeOffset.UtcNow, payload));

    /// <summary>For events the far end controls (DTMF, marks): a per-stream budget, so one call cannot flood the timeline.</summary>
    private void RecordLimited(string kind, string dedupeKey, Dictionary<string, object?> payload)
    {
        if (Interlocked.Decrement(ref _timelineBudget) >= 0)
        {
            Record(kind, dedupeKey, payload);
        }
    }

    /// <summary>Twilio's sequenceNumber makes a redelivered message the same event.</summary>
    private string EventKey(TwilioInbound inbound) =>
        $"{_call.StreamSid}:{(inbound.SequenceNumber is { Length: > 0 and <= 20 } sequence ? sequence : "local-" + Interlocked.Increment(ref _localSequence))}";

    /// <summary>agent-handled must be stored before the stream ends, so it is written now, not queued.</summary>
    private async Task<bool> RecordHandledAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_services.DatabaseTimeout);
            await _services.Timeline.WriteNowAsync(
                new TimelineEvent(_call.CallLogId, _call.WorkspaceId, _call.CallSid, "agent-handled", _call.StreamSid, DateTimeOffset.UtcNow,
                    new Dictionary<string, object?> { ["agent"] = _agentName, ["streamSid"] = _call.StreamSid }),
                timeout.Token);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Fail safe: without the event the Connect action offers voicemail instead of hanging up.
            Logger.LogError(ex, "Could not record agent-handled for {CallSid}; the caller will be offered voicemail", _call.CallSid);
            return false;
        }
    }


    private static long ParseLong(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;

    private static string Truncate(string value) => value.Length <= MaxStoredTextLength ? value : value[..MaxStoredTextLength];

    [GeneratedRegex("^CA[0-9a-zA-Z]{32}$")]
    private static partial Regex CallSidPattern();

    [GeneratedRegex("^MZ[0-9a-zA-Z]{32}$")]
    private static partial Regex StreamSidPattern();
}
