using Ovrsee.Routing;
using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.WebhookApi.Infrastructure;

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
/// recorded the call) and the injected clock, and puts the decision on the call's timeline
/// (<c>routed</c>, for numbers that have routing settings) through the stream timeline's queue, so the answer waits for no second round trip.
/// </summary>
public sealed class CallRouting(TimeProvider time, StreamTimeline timeline)
{
    public const string RoutedKind = "routed";

    public DateTimeOffset Now => time.GetUtcNow();

    public CallRoute Decide(IncomingCallRecord call, TwilioCallback callback)
    {
        var settings = RoutingSettings.FromJson(call.RoutingJson);
        var decision = RoutingDecision.For(settings, time.GetUtcNow());
        var answer = decision.Route switch
        {
            RouteTarget.Forward => CallAnswer.Forward,
            RouteTarget.Agent when call.HasAgent => CallAnswer.Agent,
            _ => call.VoicemailEnabled ? CallAnswer.Voicemail : CallAnswer.Unavailable,
        };
        var route = new CallRoute(settings, decision, answer, CallerIdFor(settings, callback.Get("From"), callback.Get("To")), call.VoicemailEnabled);
        // A number without settings routes (and shows) exactly as before they existed: no entry.
        if (call.WorkspaceId is { } workspaceId && call.RoutingJson is not null)
        {
            timeline.Enqueue(new TimelineEvent(call.CallLogId, workspaceId, callback.CallSid, RoutedKind, RoutedKind, time.GetUtcNow(),
                new Dictionary<string, object?>
                {
                    ["period"] = decision.PeriodName,
                    ["route"] = decision.RouteName,
                    ["answer"] = answer.ToString().ToLowerInvariant(),
                    ["timeZone"] = settings.TimeZone,
                }));
        }
        return route;
    }

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
