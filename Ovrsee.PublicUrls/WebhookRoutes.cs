namespace Ovrsee.PublicUrls;

/// <summary>
/// The WebhookApi's routes that Twilio calls: the one place they are written. The WebhookApi maps them,
/// its TwiML points Twilio at them, Provisioning configures numbers with them, and the Simulator and the
/// benchmarks call them.
/// </summary>
public static class WebhookRoutes
{
    public const string Webhooks = "/api/aloha/webhooks";
    public const string IncomingCall = Webhooks + Endpoints.IncomingCall;
    public const string CallStatus = Webhooks + Endpoints.CallStatus;
    public const string ConnectAction = Webhooks + Endpoints.ConnectAction;
    public const string VoicemailComplete = Webhooks + Endpoints.VoicemailComplete;
    public const string DialAction = Webhooks + Endpoints.DialAction;
    public const string VoicemailRecorded = Webhooks + Endpoints.VoicemailRecorded;
    public const string VoicemailTranscribed = Webhooks + Endpoints.VoicemailTranscribed;

    /// <summary>The Media Stream WebSocket (wss:// under the public base URL).</summary>
    public const string Stream = "/api/aloha/stream";

    /// <summary>The stream's counters (GC heap, working set), mapped only when <c>AlohaStream:ExposeDiagnostics</c> is on.</summary>
    public const string StreamDiagnostics = "/api/aloha/stream-diagnostics";

    /// <summary>The webhooks relative to <see cref="Webhooks"/>, as its route group maps them.</summary>
    public static class Endpoints
    {
        public const string IncomingCall = "/incoming-call";
        public const string CallStatus = "/call-status";
        public const string ConnectAction = "/connect-action";
        public const string VoicemailComplete = "/voicemail-complete";
        public const string DialAction = "/dial-action";
        public const string VoicemailRecorded = "/voicemail-recorded";
        public const string VoicemailTranscribed = "/voicemail-transcribed";
    }
}
