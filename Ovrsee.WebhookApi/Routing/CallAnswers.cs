using Microsoft.Extensions.Options;
using Ovrsee.PublicUrls;
using Ovrsee.Routing;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using Ovrsee.WebhookApi.Voicemail;
using Ovrsee.WebhookApi.Webhooks;
using HttpMethod = Twilio.Http.HttpMethod;
using MediaStream = Twilio.TwiML.Voice.Stream;

namespace Ovrsee.WebhookApi.Routing;

/// <summary>What a Dial action answers, decided from its signed URL and Twilio's DialCallStatus.</summary>
public enum DialNext
{
    Hangup,
    Forward,
    Voicemail,
    Unavailable,
}

/// <summary>
/// The TwiML we answer with, built with the SDK's <see cref="VoiceResponse"/>. Every path ends the
/// call or hands it to something that does. URLs come from <see cref="PublicUrlRules"/>: the public base
/// URL (or the request's own), and its wss:// form for the stream.
/// </summary>
public sealed class CallAnswers(IOptionsMonitor<VoicemailOptions> voicemail, IOptionsMonitor<WebhookOptions> webhooks)
{
    /// <param name="call">Null when PostgreSQL was unavailable: the caller still reaches voicemail.</param>
    /// <param name="route">The number's routing decision (<see cref="CallRouting"/>); null: the defaults.</param>
    public VoiceResponse ForIncomingCall(HttpContext context, IncomingCallRecord? call, CallRoute? route = null)
    {
        if (call is null)
        {
            return Voicemail(context);
        }
        if (!call.InService)
        {
            return Say(voicemail.CurrentValue.NotInService).Hangup();
        }
        switch (route?.Answer)
        {
            case CallAnswer.Forward:
                return Forward(context, route, 0);
            case CallAnswer.Voicemail:
                return Voicemail(context, route.Decision.Greeting);
            case CallAnswer.Unavailable:
                return Unavailable();
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

    /// <summary>
    /// Rings the forward targets: all at once, or (sequential) the one at <paramref name="index"/>.
    /// The Dial's signed action URL carries the attempt and what follows it, so the action's answer
    /// is decided before its (idempotent) write.
    /// </summary>
    public VoiceResponse Forward(HttpContext context, CallRoute route, int index) => Forward(BaseUrl(context), route, index);

    /// <inheritdoc cref="Forward(HttpContext, CallRoute, int)"/>
    /// <param name="baseUrl">The public base URL Twilio reaches us at (a transfer has no webhook request to take it from).</param>
    public VoiceResponse Forward(string baseUrl, CallRoute route, int index)
    {
        var forward = route.Settings.Forward!;
        var simultaneous = forward.Strategy == ForwardStrategy.Simultaneous;
        var targets = simultaneous ? forward.Targets : [forward.Targets[index]];
        var attempts = simultaneous ? 1 : forward.Targets.Count;
        var voicemailAfter = route.VoicemailEnabled ? 1 : 0;
        var dial = new Dial(
            action: new Uri($"{baseUrl}{WebhookRoutes.DialAction}?target={index}&of={attempts}&voicemail={voicemailAfter}"),
            method: HttpMethod.Post,
            timeout: forward.RingTimeoutSeconds,
            callerId: route.CallerId);
        foreach (var target in targets)
        {
            dial.Number(new global::Twilio.Types.PhoneNumber(target));
        }
        return new VoiceResponse().Append(dial);
    }

    /// <summary>The answer to a Dial action: hang up after a conversation, ring the next target, or voicemail.</summary>
    public VoiceResponse AfterDial(HttpContext context, DialNext next, CallRoute route, int nextIndex) => AfterDial(BaseUrl(context), next, route, nextIndex);

    /// <inheritdoc cref="AfterDial(HttpContext, DialNext, CallRoute, int)"/>
    public VoiceResponse AfterDial(string baseUrl, DialNext next, CallRoute route, int nextIndex) => next switch
    {
        DialNext.Hangup => new VoiceResponse().Hangup(),
        DialNext.Forward when route.Settings.Forward is { } forward && nextIndex < forward.Targets.Count => Forward(baseUrl, route, nextIndex),
        DialNext.Unavailable => Unavailable(),
        _ => Voicemail(baseUrl, route.Decision.Greeting),
    };

    public VoiceResponse Goodbye() => Say(voicemail.CurrentValue.Goodbye).Hangup();

    private VoiceResponse Unavailable() => Say(voicemail.CurrentValue.Unavailable).Hangup();

    private static VoiceResponse Say(string text) => new VoiceResponse().Say(text);

    /// <param name="greeting">The number's own greeting (text with voice and language, or audio); null: ours.</param>
    private VoiceResponse Voicemail(HttpContext context, Greeting? greeting = null) => Voicemail(BaseUrl(context), greeting);

    private VoiceResponse Voicemail(string baseUrl, Greeting? greeting)
    {
        var options = voicemail.CurrentValue;
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
        var response = greeting?.AudioUrl is { } audio
            ? new VoiceResponse().Play(new Uri(audio))
            : new VoiceResponse().Say(greeting?.Text ?? options.Greeting,
                // The SDK's enums convert from any string, null included, which would write an empty attribute.
                voice: greeting?.Voice is { } voice ? (Say.VoiceEnum)voice : null,
                language: greeting?.Language is { } language ? (Say.LanguageEnum)language : null);
        return response
            .Append(record)
            // Reached only when nothing was recorded.
            .Hangup();
    }

    private string BaseUrl(HttpContext context) => PublicUrlRules.BaseUrl(context.Request, webhooks.CurrentValue.PublicBaseUrl);
}
