using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio;
using Ovrsee.Twilio.AspNetCore;
using Ovrsee.PublicUrls;
using Ovrsee.WebhookApi.Routing;

namespace Ovrsee.WebhookApi.Webhooks;

/// <summary>
/// What Twilio calls. Every request is signature-checked before it is read; every callback is
/// committed (or durably spooled while PostgreSQL is away) before we answer.
/// </summary>
public static partial class TwilioWebhooksApi
{
    public static RouteGroupBuilder MapTwilioWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(WebhookRoutes.Webhooks)
            // Outermost: counts what the signature check refuses, never what it lets through.
            .AddEndpointFilter<RouteGroupBuilder, LimitUnverifiedTrafficFilter>()
            .ValidateTwilioRequest()
            .WithTags("Twilio webhooks")
            .ExcludeFromDescription();

        api.MapPost(WebhookRoutes.Endpoints.IncomingCall, IncomingCall);
        api.MapPost(WebhookRoutes.Endpoints.CallStatus, CallStatus);
        api.MapPost(WebhookRoutes.Endpoints.VoicemailRecorded, VoicemailRecorded);
        api.MapPost(WebhookRoutes.Endpoints.VoicemailTranscribed, VoicemailTranscribed);
        api.MapPost(WebhookRoutes.Endpoints.ConnectAction, ConnectAction);
        api.MapPost(WebhookRoutes.Endpoints.VoicemailComplete, VoicemailComplete);
        api.MapPost(WebhookRoutes.Endpoints.DialAction, DialAction);
        return api;
    }

    public static async Task<IResult> IncomingCall(
        HttpContext context, WebhookRecorder recorder, CallAnswers answers, CallRouting routing, CancellationToken cancellationToken)
    {
        if (Parse(context, CallbackKind.IncomingCall) is not { } callback)
        {
            return MissingCallSid();
        }

        IncomingCallRecord? outcome;
        try
        {
            outcome = await recorder.RecordAsync(callback, cancellationToken);
        }
        catch (WebhookNotStoredException)
        {
            // Logged by the recorder. The caller still gets an answer: voicemail, as when spooled.
            outcome = null;
        }
        // Decided where the call was recorded (group commit), so call.routed committed with it; a replayed or
        // single-statement record is decided here.
        var route = outcome is { InService: true } ? outcome.Route ?? routing.Decide(outcome, callback) : null;
        return Results.Extensions.TwiML(answers.ForIncomingCall(context, outcome, route));
    }

    public static async Task<IResult> CallStatus(HttpContext context, WebhookRecorder recorder, CancellationToken cancellationToken)
    {
        if (Parse(context, CallbackKind.CallStatus) is not { } callback)
        {
            return MissingCallSid();
        }

        await recorder.RecordAsync(callback, cancellationToken);
        return Results.NoContent();
    }

    public static async Task<IResult> VoicemailRecorded(HttpContext context, WebhookRecorder recorder, CancellationToken cancellationToken)
    {
        if (Parse(context, CallbackKind.VoicemailRecorded) is not { } callback)
        {
            return MissingCallSid();
        }
        if (!RecordingSidPattern().IsMatch(callback.Get("RecordingSid") ?? ""))
        {
            return BadParameter("RecordingSid", "RecordingSid must be RE followed by 32 letters or digits.");
        }

        await recorder.RecordAsync(callback, cancellationToken);
        return Results.NoContent();
    }

    public static async Task<IResult> VoicemailTranscribed(HttpContext context, WebhookRecorder recorder, CancellationToken cancellationToken)
    {
        if (Parse(context, CallbackKind.VoicemailTranscribed) is not { } callback)
        {
            return MissingCallSid();
        }
        if (!RecordingSidPattern().IsMatch(callback.Get("RecordingSid") ?? ""))
        {
            return BadParameter("RecordingSid", "RecordingSid must be RE followed by 32 letters or digits.");
        }

        await recorder.RecordAsync(callback, cancellationToken);
        return Results.NoContent();
    }

    /// <summary>Twilio asks here when the stream ends: voicemail unless the agent took the call.</summary>
    public static async Task<IResult> ConnectAction(HttpContext context, WebhookRecorder recorder, CallAnswers answers, CancellationToken cancellationToken)
    {
        if (Parse(context, CallbackKind.StreamEnded) is not { } callback)
        {
            return MissingCallSid();
        }

        bool agentHandled;
        try
        {
            agentHandled = await recorder.RecordStreamEndedAsync(callback, cancellationToken);
        }
        catch (WebhookNotStoredException)
        {
            agentHandled = false; // unknown: offer voicemail rather than hang up on the caller
        }
        var voicemailEnabled = context.Request.Query["voicemail"] == "1";
        return Results.Extensions.TwiML(answers.AfterStream(context, agentHandled, voicemailEnabled));
    }

    /// <summary>
    /// A forwarding Dial ended. Its signed URL says which attempt it was (<c>target</c> of <c>of</c>) and
    /// whether voicemail follows, so the answer is decided before the write: a conversation (answered or
    /// completed) hangs up, otherwise the next target rings, else voicemail with the number's greeting.
    /// The write is one timeline entry per attempt, so duplicates and late callbacks change nothing.
    /// </summary>
    public static async Task<IResult> DialAction(
        HttpContext context, WebhookRecorder recorder, CallAnswers answers, CallRouting routing, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        if (!int.TryParse(query["target"], out var target) || !int.TryParse(query["of"], out var attempts)
            || target < 0 || attempts < 1 || target >= attempts)
        {
            return BadParameter("target", "The Dial action URL must carry target and of (0 <= target < of).");
        }
        var voicemailEnabled = query["voicemail"] != "0";
        var status = context.GetTwilioRequest().Parameters.FirstOrDefault(p => p.Key == "DialCallStatus").Value;
        var next = status is "completed" or "answered" ? DialNext.Hangup
            : target + 1 < attempts ? DialNext.Forward
            : voicemailEnabled ? DialNext.Voicemail
            : DialNext.Unavailable;
        if (Parse(context, CallbackKind.DialEnded,
                (CallbackRecorder.ForwardTargetParameter, target.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                (CallbackRecorder.ForwardNextParameter, next.ToString().ToLowerInvariant())) is not { } callback)
        {
            return MissingCallSid();
        }

        DialEndedRecord? call;
        try
        {
            call = await recorder.RecordDialEndedAsync(callback, cancellationToken);
        }
        catch (WebhookNotStoredException)
        {
            call = null;
        }
        if (call is null && next == DialNext.Forward)
        {
            // Unknown call or PostgreSQL away: the next target is unknown, voicemail is not.
            next = voicemailEnabled ? DialNext.Voicemail : DialNext.Unavailable;
        }
        var route = routing.Later(call?.RoutingJson, CallAnswer.Forward, call?.From, call?.To, voicemailEnabled);
        return Results.Extensions.TwiML(answers.AfterDial(context, next, route, target + 1));
    }

    /// <summary>Record's action: the message is in; end the call (without it Twilio would loop back to Record).</summary>
    public static IResult VoicemailComplete(CallAnswers answers) => Results.Extensions.TwiML(answers.Goodbye());

    /// <param name="ours">Values from our own signed URL, kept with the callback (spooled and replayed with it).</param>
    private static TwilioCallback? Parse(HttpContext context, CallbackKind kind, params (string Name, string Value)[] ours)
    {
        var request = context.GetTwilioRequest();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in ours)
        {
            parameters[name] = value;
        }
        foreach (var (name, value) in request.Parameters)
        {
            parameters.TryAdd(Representable(name), KeyParameters.Contains(name) ? Shortened(Representable(value)) : Representable(value));
        }
        var callback = new TwilioCallback(kind, parameters, DateTimeOffset.UtcNow);
        return CallSidPattern().IsMatch(callback.CallSid) ? callback : null;
    }

    // Twilio's input is stored as sent where PostgreSQL can hold it. It cannot hold U+0000 in text
    // or jsonb, so NUL becomes U+FFFD (the replacement character) in names and values alike.
    private static string Representable(string text) => text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;

    // These become parts of unique keys (a btree entry holds about 2.7 KB). Twilio's own values
    // are short words, SIDs and dates, so a longer one is cut to MaxKeyParameterLength characters.
    private static readonly HashSet<string> KeyParameters = new(StringComparer.Ordinal)
    {
        "CallStatus", "RecordingStatus", "TranscriptionStatus", "TranscriptionSid", "Timestamp", "SequenceNumber",
    };
    private const int MaxKeyParameterLength = 256;

    private static string Shortened(string value) => value.Length <= MaxKeyParameterLength ? value : value[..MaxKeyParameterLength];

    private static IResult MissingCallSid() =>
        BadParameter("CallSid", "CallSid must be CA followed by 32 letters or digits.");

    private static IResult BadParameter(string name, string detail) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [name] = [detail] }, title: "The webhook is missing a valid parameter.");

    [GeneratedRegex("^CA[0-9a-zA-Z]{32}$")]
    private static partial Regex CallSidPattern();

    [GeneratedRegex("^RE[0-9a-zA-Z]{32}$")]
    private static partial Regex RecordingSidPattern();
}
