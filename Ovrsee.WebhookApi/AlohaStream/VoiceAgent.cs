namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>The call a voice agent is asked to take, as verified against the database.</summary>
/// <param name="BuiltInAgent">The workspace chose the built-in agent (rather than getting it as a fallback).</param>
/// <param name="RoutingJson">The number's routing settings as stored (null: the defaults), for a transfer.</param>
/// <param name="VoicemailEnabled">Whether the number takes voicemail (where a failed or targetless transfer ends).</param>
/// <param name="TransferOnDtmfZero">The number lets a caller press 0 to be transferred to a person.</param>
public sealed record AgentCall(
    string CallSid,
    string StreamSid,
    string? AccountSid,
    Guid CallLogId,
    Guid WorkspaceId,
    string? From,
    string? To,
    string? AgentStreamUrl,
    bool BuiltInAgent = false,
    string? RoutingJson = null,
    bool VoicemailEnabled = true,
    bool TransferOnDtmfZero = false);

/// <summary>
/// Something that can talk to a caller: the workspace's external Aloha agent, or the built-in
/// fallback. Connecting is separate from running so the session can fall back when connecting fails.
/// </summary>
public interface IVoiceAgent
{
    /// <summary>Recorded on the timeline as the agent that took the stream.</summary>
    string Name { get; }

    /// <exception cref="VoiceAgentUnavailableException">The agent cannot take this call.</exception>
    Task<IVoiceAgentSession> ConnectAsync(AgentCall call, CancellationToken cancellationToken);
}

/// <summary>One agent on one call.</summary>
public interface IVoiceAgentSession : IAsyncDisposable
{
    /// <summary>
    /// Talks to the caller until the agent decides how the stream ends, or the caller is gone
    /// (<see cref="CallerStream.Ended"/>). Must not throw for agent faults: those are
    /// <see cref="AgentEnding.Failed"/>, so the caller still reaches voicemail.
    /// </summary>
    Task<AgentResult> RunAsync(CallerStream caller, IAgentOutput output, CancellationToken cancellationToken);
}

/// <summary>What an agent can do to the call.</summary>
public interface IAgentOutput
{
    /// <summary>Queues μ-law 8 kHz audio for the caller. Waits when the queue is full (back-pressure on the agent).</summary>
    ValueTask PlayAsync(ReadOnlyMemory<byte> muLaw, CancellationToken cancellationToken);

    /// <summary>Queues a mark; Twilio echoes it (a <see cref="CallerSignal.MarkPlayed"/>) once the audio before it has played.</summary>
    ValueTask MarkAsync(string name, CancellationToken cancellationToken);

    /// <summary>Barge-in: drops audio not yet played, here and in Twilio's buffer.</summary>
    ValueTask ClearAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Durably records that the agent took the call (the <c>agent-handled</c> event), so when the
    /// stream ends Twilio hangs up instead of offering voicemail. Final: it cannot be undone.
    /// </summary>
    Task MarkHandledAsync(CancellationToken cancellationToken);
}

public enum AgentEnding
{
    /// <summary>Twilio ended the stream (the caller hung up, or the call was ended elsewhere).</summary>
    CallerGone,
    /// <summary>The agent asked for voicemail: end the stream without agent-handled.</summary>
    Voicemail,
    /// <summary>The agent is done with a call it handled: end the stream, Twilio hangs up.</summary>
    Hangup,
    /// <summary>The agent broke (closed, errored, spoke nonsense) before saying how the call ends.</summary>
    Failed,
    /// <summary>
    /// The call goes to a person: the agent asked (<c>transfer</c>), or the caller pressed 0 where the
    /// number allows it. The session redirects the live call (<see cref="CallTransfer"/>) and ends the stream.
    /// </summary>
    Transfer,
}

public sealed record AgentResult(AgentEnding Ending, string Reason);

public sealed class VoiceAgentUnavailableException(string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>Short, stable, safe to store on the timeline (no URL, no address).</summary>
    public string Reason { get; } = reason;
}
