using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// The Twilio Media Streams endpoint and its voice agents, bound from the <c>AlohaStream</c>
/// section. Every buffer here is bounded; the worst-case memory of one stream is roughly
/// <c>MaxTwilioMessageBytes + MaxAgentMessageBytes + CallerAudioBufferFrames × 200 B
/// + OutboundQueueItems × (MaxAgentMessageBytes × 3/4)</c>, and at most
/// <see cref="MaxConcurrentStreams"/> run at once.
/// </summary>
public sealed class AlohaStreamOptions
{
    public const string SectionName = "AlohaStream";

    /// <summary>How long Twilio has, after the upgrade, to send <c>connected</c> and <c>start</c>.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long we wait for the workspace's agent to accept the WebSocket. Short: the caller is
    /// listening to silence meanwhile, and the built-in agent is the answer when it is exceeded.
    /// </summary>
    public TimeSpan AgentConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Caller audio held for an agent that reads slower than real time: 100 frames of 20 ms is
    /// two seconds. When full, the oldest frame is dropped (and counted) so the agent always
    /// hears the most recent audio and Twilio's receive loop never waits.
    /// </summary>
    public int CallerAudioBufferFrames { get; set; } = 100;

    /// <summary>
    /// Agent messages (audio, marks, clear) waiting to be sent to Twilio. When full, we stop
    /// reading the agent's socket, so TCP pushes back on the agent: its audio is never dropped.
    /// </summary>
    public int OutboundQueueItems { get; set; } = 32;

    /// <summary>Largest message accepted from Twilio; a media message is about 300 bytes, start about 1 KB.</summary>
    public int MaxTwilioMessageBytes { get; set; } = 16 * 1024;

    /// <summary>Largest message accepted from an agent: 32 KB of JSON is about 3 s of μ-law audio.</summary>
    public int MaxAgentMessageBytes { get; set; } = 32 * 1024;

    /// <summary>Streams beyond this are refused with 503 (Twilio then runs the Connect action: voicemail).</summary>
    public int MaxConcurrentStreams { get; set; } = 500;

    /// <summary>
    /// Allow ws:// agent URLs. Null means: only in Development. In production the caller's audio
    /// must not cross the internet in clear text.
    /// </summary>
    public bool? AllowInsecureAgentUrls { get; set; }

    /// <summary>
    /// Allow agent URLs that resolve to loopback, private, link-local (cloud metadata), CGNAT,
    /// unique-local or other non-public addresses. Null means: only in Development. The URL comes
    /// from workspace data, so without this check a workspace could make us open connections
    /// inside our own network (SSRF).
    /// </summary>
    public bool? AllowPrivateAgentAddresses { get; set; }

    /// <summary>
    /// When not empty, agent hosts must be one of these (exact, or <c>*.example.com</c> for
    /// subdomains). Checked in addition to the address rules above.
    /// </summary>
    public string[] AllowedAgentHosts { get; set; } = [];

    /// <summary>How long the built-in agent waits for Twilio to confirm its clip has played.</summary>
    public TimeSpan BuiltInPlaybackTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When a workspace chose the built-in agent: how long it listens after its greeting for the
    /// caller to press a key (to leave a message) before it takes them to voicemail anyway.
    /// </summary>
    public TimeSpan BuiltInListenTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How long closing either socket may take before it is aborted.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeline events waiting to be written, across all streams.</summary>
    public int TimelineQueueCapacity { get; set; } = 10_000;

    /// <summary>DTMF and mark events one stream may put on the timeline; a chatty agent cannot flood it.</summary>
    public int MaxTimelineEventsPerStream { get; set; } = 200;

    /// <summary>Maps GET /api/aloha/stream-diagnostics (counters, GC heap, working set). Off by default.</summary>
    public bool ExposeDiagnostics { get; set; }
}

public sealed class AlohaStreamOptionsValidator : IValidateOptions<AlohaStreamOptions>
{
    public ValidateOptionsResult Validate(string? name, AlohaStreamOptions options)
    {
        List<string> failures = [];
        if (options.StartTimeout <= TimeSpan.Zero) failures.Add("AlohaStream:StartTimeout must be positive.");
        if (options.AgentConnectTimeout <= TimeSpan.Zero) failures.Add("AlohaStream:AgentConnectTimeout must be positive.");
        if (options.BuiltInPlaybackTimeout <= TimeSpan.Zero) failures.Add("AlohaStream:BuiltInPlaybackTimeout must be positive.");
        if (options.BuiltInListenTimeout <= TimeSpan.Zero) failures.Add("AlohaStream:BuiltInListenTimeout must be positive.");
        if (options.CloseTimeout <= TimeSpan.Zero) failures.Add("AlohaStream:CloseTimeout must be positive.");
        if (options.CallerAudioBufferFrames < 1) failures.Add("AlohaStream:CallerAudioBufferFrames must be at least 1.");
        if (options.OutboundQueueItems < 1) failures.Add("AlohaStream:OutboundQueueItems must be at least 1.");
        if (options.MaxTwilioMessageBytes < 1024) failures.Add("AlohaStream:MaxTwilioMessageBytes must be at least 1024.");
        if (options.MaxAgentMessageBytes < 1024) failures.Add("AlohaStream:MaxAgentMessageBytes must be at least 1024.");
        if (options.MaxConcurrentStreams < 1) failures.Add("AlohaStream:MaxConcurrentStreams must be at least 1.");
        if (options.TimelineQueueCapacity < 1) failures.Add("AlohaStream:TimelineQueueCapacity must be at least 1.");
        if (options.MaxTimelineEventsPerStream < 0) failures.Add("AlohaStream:MaxTimelineEventsPerStream must not be negative.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
