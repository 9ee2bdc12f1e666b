using Microsoft.Extensions.Options;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using Ovrsee.WebhookApi.Routing;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>How a transfer ended, for the stream's own stopped entry.</summary>
/// <param name="Redirected">Twilio took the new TwiML: the call has left the stream.</param>
public sealed record TransferResult(bool Redirected, string Reason);

/// <summary>
/// Takes a live call away from the agent to a person: updates the call through Twilio's REST API
/// (POST …/Calls/{CallSid}.json with <c>Twiml</c>) with the same forward TwiML routing answers with,
/// a Dial of the number's forward targets whose signed action falls back to voicemail with the
/// number's greeting on no-answer, busy or failure. A number without forward targets goes to
/// voicemail (or "unavailable" with voicemail off), so a transfer never leaves the caller in silence.
/// <list type="bullet">
/// <item>Once per call: the <c>transferred</c> timeline entry (dedupe key <c>transfer</c>) is written
/// first and is the claim; a second request (a repeated message, another replica) finds it and
/// sends nothing.</item>
/// <item>A refused or failed update is recorded as <c>transfer-failed</c> before the stream ends, so
/// the Connect action that Twilio then requests answers voicemail, even after agent-handled.</item>
/// </list>
/// </summary>
public sealed class CallTransfer(
    IServiceProvider services,
    CallAnswers answers,
    CallRouting routing,
    StreamTimeline timeline,
    IOptions<WebhookRecorderOptions> database,
    ILogger<CallTransfer> logger)
{
    public const string TransferredKind = "transferred";
    public const string FailedKind = "transfer-failed";
    public const string TransferDigit = "0";
    public const string AgentAsked = "agent-transfer";
    public const string CallerPressedZero = "caller-pressed-0";
    /// <summary>The reason in the stop message the agent gets.</summary>
    public const string StopReason = "transfer";

    /// <param name="baseUrl">Our public base URL, for the Dial action and voicemail URLs in the TwiML.</param>
    /// <param name="reason"><see cref="AgentAsked"/> or <see cref="CallerPressedZero"/>.</param>
    public async Task<TransferResult> TransferAsync(AgentCall call, string agent, string baseUrl, string reason, CancellationToken cancellationToken)
    {
        var route = routing.Later(call.RoutingJson, CallAnswer.Forward, call.From, call.To, call.VoicemailEnabled);
        var targets = route.Settings.Forward?.Targets.Count ?? 0;
        var (to, twiml) = targets > 0
            ? ("forward", answers.Forward(baseUrl, route, 0))
            : call.VoicemailEnabled
                ? ("voicemail", answers.AfterDial(baseUrl, DialNext.Voicemail, route, 0))
                : ("unavailable", answers.AfterDial(baseUrl, DialNext.Unavailable, route, 0));

        if (!await ClaimAsync(call, agent, to, reason, targets, cancellationToken))
        {
            logger.LogInformation("Call {CallSid} was already transferred; nothing sent to Twilio", call.CallSid);
            return new TransferResult(Redirected: false, "already-transferred");
        }

        try
        {
            var twilio = services.GetRequiredService<ITwilioRestClient>();
            await CallResource.UpdateAsync(new UpdateCallOptions(call.CallSid) { Twiml = new Twiml(twiml.ToString()) }, twilio);
            logger.LogInformation("Call {CallSid} transferred from the agent to {To} ({Reason})", call.CallSid, to, reason);
            return new TransferResult(Redirected: true, reason);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var failure = ex switch
            {
                TwilioApiException api => $"twilio-{(int)api.StatusCode}",
                TwilioNotConfiguredException => "twilio-not-configured",
                _ => "twilio-unreachable",
            };
            logger.LogWarning(ex, "Transfer of {CallSid} failed ({Failure}); the stream ends and the caller is offered voicemail", call.CallSid, failure);
            await RecordFailureAsync(call, failure, (ex as TwilioApiException)?.Code, cancellationToken);
            return new TransferResult(Redirected: false, "transfer-failed");
        }
    }

    /// <returns>False when the call already has a transfer; true also when PostgreSQL could not say (the caller first).</returns>
    private async Task<bool> ClaimAsync(AgentCall call, string agent, string to, string reason, int targets, CancellationToken cancellationToken)
    {
        var entry = new TimelineEvent(call.CallLogId, call.WorkspaceId, call.CallSid, TransferredKind, StopReason, DateTimeOffset.UtcNow,
            new Dictionary<string, object?> { ["from"] = "agent", ["agent"] = agent, ["to"] = to, ["reason"] = reason, ["targets"] = targets });
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(database.Value.DatabaseTimeout);
            return await timeline.TryClaimNowAsync(entry, timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // One stream per call means one transfer per call anyway; the claim guards replicas and
            // replays. Without PostgreSQL the caller still gets the person, and the entry is queued.
            logger.LogWarning(ex, "Could not claim the transfer of {CallSid}; transferring anyway", call.CallSid);
            timeline.Enqueue(entry);
            return true;
        }
    }

    private async Task RecordFailureAsync(AgentCall call, string failure, int? code, CancellationToken cancellationToken)
    {
        var entry = new TimelineEvent(call.CallLogId, call.WorkspaceId, call.CallSid, FailedKind, StopReason, DateTimeOffset.UtcNow,
            new Dictionary<string, object?> { ["reason"] = failure, ["twilioCode"] = code, ["then"] = call.VoicemailEnabled ? "voicemail" : "unavailable" });
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(database.Value.DatabaseTimeout);
            await timeline.WriteNowAsync(entry, timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Could not record the failed transfer of {CallSid}", call.CallSid);
        }
    }
}
