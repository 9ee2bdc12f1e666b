using Microsoft.Extensions.Options;
using Ovrsee.PublicUrls;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using HttpMethod = Twilio.Http.HttpMethod;
using MediaStream = Twilio.TwiML.Voice.Stream;

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

/// <summary>
/// The TwiML we answer with, built with the SDK's <see cref="VoiceResponse"/>. Every path ends the
/// call or hands it to something that does. URLs come from <see cref="PublicUrlRules"/>: the public base
/// URL (or the request's own), and its wss:// form for the stream.
/// </summary>
public sealed class CallAnswers(IOptionsMonitor<VoicemailOptions> voicemail, IOptionsMonitor<WebhookOptions> webhooks)
{
    /// <param name="call">Null when PostgreSQL was unavailable: the caller still reaches voicemail.</param>
    public VoiceResponse ForIncomingCall(HttpContext context, IncomingCallRecord? call)
    {
        if (call is null)
        {
            return Voicemail(context);
        }
        if (!call.InService)
        {
            return Say(voicemail.CurrentValue.NotInService).Hangup();
        }
        if (!call.HasAgent)
        {
            return call.VoicemailEnabled ? Voicemail(context) : Unavailable();
        }

        var baseUrl = BaseUrl(context);
        var stream = new MediaStream(url: PublicUrlRules.ToWebSocket(baseUrl + WebhookRoutes.Stream))
            .Parameter("callLogId", call.CallLogId.ToString())
            .Parameter("workspaceId", call.WorkspaceId?.ToString() ?? "");
        // The signed action URL carries the number's voicemail setting, so the answer after
        // the stream needs no lookup and still works while PostgreSQL is away.
        var connect = new Connect(
            action: new Uri($"{baseUrl}{WebhookRoutes.ConnectAction}?voicemail={(call.VoicemailEnabled ? 1 : 0)}"),
            method: HttpMethod.Post);
        return new VoiceResponse().Append(connect.Append(stream));
    }

    public VoiceResponse AfterStream(HttpContext context, bool agentHandled, bool voicemailEnabled) =>
        agentHandled ? new VoiceResponse().Hangup()
        : voicemailEnabled ? Voicemail(context)
        : Unavailable();

    public VoiceResponse Goodbye() => Say(voicemail.CurrentValue.Goodbye).Hangup();

    private VoiceResponse Unavailable() => Say(voicemail.CurrentValue.Unavailable).Hangup();

    private static VoiceResponse Say(string text) => new VoiceResponse().Say(text);

    private VoiceResponse Voicemail(HttpContext context)
    {
        var options = voicemail.CurrentValue;
        var baseUrl = BaseUrl(context);
        var twilioTranscribes = options.Transcription == VoicemailTranscription.Twilio;
        var record = new Record(
            // Record needs an action that ends the call; without one Twilio requests this
            // document again and the caller hears the greeting forever.
            action: new Uri(baseUrl + WebhookRoutes.VoicemailComplete),
            method: HttpMethod.Post,
            maxLength: options.MaxLengthSeconds,
            playBeep: true,
            finishOnKey: "#",
            recordingStatusCallback: new Uri(baseUrl + WebhookRoutes.VoicemailRecorded),
            recordingStatusCallbackMethod: HttpMethod.Post,
            recordingStatusCallbackEvent: [Record.RecordingEventEnum.Completed, Record.RecordingEventEnum.Absent],
            transcribe: twilioTranscribes ? true : null,
            transcribeCallback: twilioTranscribes ? new Uri(baseUrl + WebhookRoutes.VoicemailTranscribed) : null);
        return Say(options.Greeting)
            .Append(record)
            // Reached only when nothing was recorded.
            .Hangup();
    }

    private string BaseUrl(HttpContext context) => PublicUrlRules.BaseUrl(context.Request, webhooks.CurrentValue.PublicBaseUrl);
}
