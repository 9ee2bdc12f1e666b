using Microsoft.Extensions.Options;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.Twilio.TwiML;

namespace Ovrsee.WebhookApi.Infrastructure;

public enum VoicemailTranscription
{
    /// <summary>Record with transcribe="true"; Twilio posts the text to voicemail-transcribed.</summary>
    Twilio,
    /// <summary>Our own speech-to-text job after the recording is downloaded.</summary>
    SpeechToText,
    None,
}

public sealed class VoicemailOptions
{
    public string Greeting { get; set; } = "Sorry, no one can take your call right now. Please leave a message after the tone.";
    public string Goodbye { get; set; } = "Thank you. Goodbye.";
    public string NotInService { get; set; } = "The number you have dialed is not in service. Goodbye.";
    public string Unavailable { get; set; } = "Sorry, no one can take your call right now. Please try again later. Goodbye.";
    public int MaxLengthSeconds { get; set; } = 120;
    public VoicemailTranscription Transcription { get; set; } = VoicemailTranscription.Twilio;
}

/// <summary>The TwiML we answer with. Every path ends the call or hands it to something that does.</summary>
public sealed class CallAnswers(IOptionsMonitor<VoicemailOptions> voicemail, IOptionsMonitor<WebhookOptions> webhooks)
{
    private const string Webhooks = "/api/aloha/webhooks";

    /// <param name="call">Null when PostgreSQL was unavailable: the caller still reaches voicemail.</param>
    public VoiceResponse ForIncomingCall(HttpContext context, IncomingCallRecord? call)
    {
        if (call is null)
        {
            return Voicemail(context);
        }
        if (!call.InService)
        {
            return new VoiceResponse().Say(voicemail.CurrentValue.NotInService).Hangup();
        }
        if (call.AgentStreamUrl is null)
        {
            return call.VoicemailEnabled ? Voicemail(context) : Unavailable();
        }

        var baseUrl = PublicBaseUrl(context);
        var stream = new MediaStream(WebSocketUrl(baseUrl) + "/api/aloha/stream")
            .Parameter("callLogId", call.CallLogId.ToString())
            .Parameter("workspaceId", call.WorkspaceId?.ToString() ?? "");
        return new VoiceResponse().Connect(new Connect
        {
            // The signed action URL carries the number's voicemail setting, so the answer after
            // the stream needs no lookup and still works while PostgreSQL is away.
            Action = $"{baseUrl}{Webhooks}/connect-action?voicemail={(call.VoicemailEnabled ? 1 : 0)}",
            Method = "POST",
        }.Stream(stream));
    }

    public VoiceResponse AfterStream(HttpContext context, bool agentHandled, bool voicemailEnabled) =>
        agentHandled ? new VoiceResponse().Hangup()
        : voicemailEnabled ? Voicemail(context)
        : Unavailable();

    public VoiceResponse Goodbye() => new VoiceResponse().Say(voicemail.CurrentValue.Goodbye).Hangup();

    private VoiceResponse Unavailable() => new VoiceResponse().Say(voicemail.CurrentValue.Unavailable).Hangup();

    private VoiceResponse Voicemail(HttpContext context)
    {
        var options = voicemail.CurrentValue;
        var baseUrl = PublicBaseUrl(context);
        var twilioTranscribes = options.Transcription == VoicemailTranscription.Twilio;
        return new VoiceResponse()
            .Say(options.Greeting)
            .Record(new Record
            {
                // Record needs an action that ends the call; without one Twilio requests this
                // document again and the caller hears the greeting forever.
                Action = $"{baseUrl}{Webhooks}/voicemail-complete",
                Method = "POST",
                MaxLength = options.MaxLengthSeconds,
                PlayBeep = true,
                FinishOnKey = "#",
                RecordingStatusCallback = $"{baseUrl}{Webhooks}/voicemail-recorded",
                RecordingStatusCallbackMethod = "POST",
                RecordingStatusCallbackEvent = "completed absent",
                Transcribe = twilioTranscribes ? true : null,
                TranscribeCallback = twilioTranscribes ? $"{baseUrl}{Webhooks}/voicemail-transcribed" : null,
            })
            // Reached only when nothing was recorded.
            .Hangup();
    }

    private string PublicBaseUrl(HttpContext context) =>
        webhooks.CurrentValue.PublicBaseUrl?.TrimEnd('/')
        ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

    private static string WebSocketUrl(string baseUrl) =>
        baseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + baseUrl["https://".Length..]
        : baseUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + baseUrl["http://".Length..]
        : baseUrl;
}
