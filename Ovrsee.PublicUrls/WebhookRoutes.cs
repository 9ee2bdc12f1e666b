namespace Ovrsee.PublicUrls;

/// <summary>The WebhookApi's routes that Twilio calls, shared with Provisioning, which points numbers at them.</summary>
public static class WebhookRoutes
{
    public const string Webhooks = "/api/aloha/webhooks";
    public const string IncomingCall = Webhooks + "/incoming-call";
    public const string CallStatus = Webhooks + "/call-status";
    public const string ConnectAction = Webhooks + "/connect-action";
    public const string VoicemailComplete = Webhooks + "/voicemail-complete";
    public const string DialAction = Webhooks + "/dial-action";
    public const string VoicemailRecorded = Webhooks + "/voicemail-recorded";
    public const string VoicemailTranscribed = Webhooks + "/voicemail-transcribed";

    /// <summary>The Media Stream WebSocket (wss:// under the public base URL).</summary>
    public const string Stream = "/api/aloha/stream";
}
