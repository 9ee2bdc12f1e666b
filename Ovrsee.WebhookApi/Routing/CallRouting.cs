using Ovrsee.Routing;
using Ovrsee.WebhookApi.AlohaStream;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.Routing;

/// <summary>What the caller gets, after the number's routing met what this replica can do.</summary>
public enum CallAnswer
{
    Agent,
    Forward,
    Voicemail,
    /// <summary>Voicemail is off for the number: a short message, then hang up.</summary>
    Unavailable,
}

/// <param name="CallerId">What the person we forward to sees (the caller's number or ours); null lets Twilio choose.</param>
/// <param name="VoicemailEnabled">Whether voicemail follows when nobody answers a forward.</param>
public sealed record CallRoute(RoutingSettings Settings, RoutingDecision Decision, CallAnswer Answer, string? CallerId, bool VoicemailEnabled);

/// <summary>
/// Decides where an incoming call goes from its number's routing (read in the same statement that
/// recorded the call) and the injected clock. The decision goes on the call's timeline
/// (<c>routed</c>, for numbers that have routing settings): written by group commit in the call's
/// own transaction (with call.routed), or through the stream timeline's queue when decided after
/// a replay, so the answer waits for no second commit.
/// </summary>
public sealed class CallRouting(TimeProvider time, StreamTimeline timeline)
{
    public const string RoutedKind = "routed";

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Decides and puts the decision on the timeline through the stream timeline's queue.</summary>
    public CallRoute Decide(IncomingCallRecord call, TwilioCallback callback)
    {
        var route = Route(call, callback);
        if (TimelineEntry(call, callback, route) is { } entry)
        {
            timeline.Enqueue(entry);
        }
        return route;
    }

    /// <summary>Decides only; the caller records the decision (group commit does, in the call's transaction).</summary>
    public CallRoute Route(IncomingCallRecord call, TwilioCallback callback)
    {
        var settings = RoutingSettings.FromJson(call.RoutingJson);
        var decision = RoutingDecision.For(settings, time.GetUtcNow());
        var answer = decision.Route switch
        {
            RouteTarget.Forward => CallAnswer.Forward,
            RouteTarget.Agent when call.HasAgent => CallAnswer.Agent,
            _ => call.VoicemailEnabled ? CallAnswer.Voicemail : CallAnswer.Unavailable,
        };
        return new CallRoute(settings, decision, answer, CallerIdFor(settings, callback.Get("From"), callback.Get("To")), call.VoicemailEnabled);
    }

    /// <summary>The decision's timeline entry; null for a number without settings, which routes (and shows) exactly as before they existed.</summary>
    public TimelineEvent? TimelineEntry(IncomingCallRecord call, TwilioCallback callback, CallRoute route) =>
        call.WorkspaceId is { } workspaceId && call.RoutingJson is not null
            ? new TimelineEvent(call.CallLogId, workspaceId, callback.CallSid, RoutedKind, RoutedKind, time.GetUtcNow(),
                new Dictionary<string, object?>
                {
                    ["period"] = route.Decision.PeriodName,
                    ["route"] = route.Decision.RouteName,
                    ["answer"] = route.Answer.ToString().ToLowerInvariant(),
                    ["timeZone"] = route.Settings.TimeZone,
                })
            : null;

    /// <summary>The decision as call.routed announces it (its <c>data</c>; README, "Domain events").</summary>
    public static Dictionary<string, string?> AnnouncedData(TwilioCallback callback, CallRoute route) => new()
    {
        ["callSid"] = callback.CallSid,
        ["route"] = route.Answer.ToString().ToLowerInvariant(),
        ["period"] = route.Decision.PeriodName,
    };

    /// <summary>The route for an answer decided later (after a Dial): the number's settings now.</summary>
    public CallRoute Later(string? routingJson, CallAnswer answer, string? from, string? to, bool voicemailEnabled)
    {
        var settings = RoutingSettings.FromJson(routingJson);
        return new CallRoute(settings, RoutingDecision.For(settings, time.GetUtcNow()), answer, CallerIdFor(settings, from, to), voicemailEnabled);
    }

    private static string? CallerIdFor(RoutingSettings settings, string? from, string? to)
    {
        var callerId = settings.Forward?.CallerId == ForwardCallerId.Number ? to : from;
        return callerId is not null && RoutingSettingsReader.E164().IsMatch(callerId) ? callerId : null;
    }
}
