using System.Net.WebSockets;
using System.Text.Json;
using System.Xml.Linq;
using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Streaming;

namespace Ovrsee.Tests.Routing;

/// <summary>
/// Transfer from the agent, through the real WebhookApi: the agent's transfer message and a caller's 0
/// redirect the live call once through Twilio's REST API (the update checked against Twilio's OpenAPI
/// by Prism) to the forward TwiML, whose Dial action falls back to voicemail; a refused update still
/// ends in voicemail.
/// </summary>
[Trait("Category", "Slow")]
public class AgentTransferTests(TransferFixture api) : IClassFixture<TransferFixture>
{
    private const string Greeting = "Nobody could take your call. Leave a message.";

    private static string Routing(bool transferOnZero, params string[] targets) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["forward"] = targets.Length == 0 ? null : new { targets, strategy = "sequential", ringTimeoutSeconds = 15 },
        ["voicemailGreeting"] = new { text = Greeting },
        ["transferOnDtmfZero"] = transferOnZero,
    });

    private static async Task<TwilioMediaStreamClient> StartAsync(StreamCall call)
    {
        var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);
        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        return twilio;
    }

    private static JsonElement Only(List<(string Kind, JsonElement Payload)> timeline, string kind) =>
        Assert.Single(timeline, e => e.Kind == kind).Payload;

    [Fact]
    public async Task The_agents_transfer_redirects_the_call_once_to_the_forward_targets_and_nobody_answering_reaches_voicemail()
    {
        var number = await api.NumberAsync(api.Agent.Url("transfer"), Routing(false, "+14155550171", "+14155550172"));
        var call = await api.RingAsync(number);
        api.Live(call);
        await using var twilio = await StartAsync(call);

        // The agent greets, hears the greeting played (the mark), then asks for a transfer twice.
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());

        var dial = api.UpdatedTwiML(call.CallSid).Root!.Element("Dial")!;
        Assert.Equal(["+14155550171"], dial.Elements("Number").Select(n => n.Value));
        Assert.Equal("15", dial.Attribute("timeout")!.Value);
        Assert.EndsWith("/api/aloha/webhooks/dial-action?target=0&of=2&voicemail=1", dial.Attribute("action")!.Value);
        Assert.Empty(await api.TwilioApi.ContractViolationsAsync());

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        var transferred = Only(timeline, "transferred");
        Assert.Equal("forward", transferred.GetProperty("to").GetString());
        Assert.Equal("agent-transfer", transferred.GetProperty("reason").GetString());
        Assert.Equal("external", transferred.GetProperty("agent").GetString());
        var stopped = Only(timeline, "stream-stopped");
        Assert.Equal("agent", stopped.GetProperty("endedBy").GetString());
        Assert.Equal("agent-transfer", stopped.GetProperty("reason").GetString());
        Assert.DoesNotContain(timeline, e => e.Kind == "transfer-failed");
        var agent = api.Agent.Calls[call.CallSid];
        await agent.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("transfer", agent.StopReason);

        // Twilio runs the new TwiML: nobody answers, the second person is busy, then voicemail with the greeting.
        var form = TwilioForms.IncomingCall(call.CallSid, AlohaStreamFixture.Caller, number);
        form["DialCallStatus"] = "no-answer";
        var next = await api.PostAsync(dial.Attribute("action")!.Value, form);
        Assert.Equal("+14155550172", next.Root!.Element("Dial")!.Element("Number")!.Value);
        form["DialCallStatus"] = "busy";
        var voicemail = await api.PostAsync(next.Root!.Element("Dial")!.Attribute("action")!.Value, form);
        Assert.Equal(Greeting, voicemail.Root!.Element("Say")!.Value);
        Assert.NotNull(voicemail.Root!.Element("Record"));
        Assert.Equal("no-answer,busy", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT string_agg(status, ',' ORDER BY dedupe_key) FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", call.CallSid));
    }

    [Fact]
    public async Task Zero_pressed_during_the_agent_transfers_once_where_the_number_allows_it_and_the_agent_never_hears_it()
    {
        var number = await api.NumberAsync(api.Agent.Url("listen"), Routing(true, "+14155550181"));
        var call = await api.RingAsync(number);
        api.Live(call);
        await using var twilio = await StartAsync(call);
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("mark", "greeting"));

        await twilio.SendDtmfAsync("0");
        try
        {
            await twilio.SendDtmfAsync("0"); // an impatient caller
        }
        catch (WebSocketException)
        {
            // The stream may already be closing: either way the call is redirected once.
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        var dial = api.UpdatedTwiML(call.CallSid).Root!.Element("Dial")!;
        Assert.Equal(["+14155550181"], dial.Elements("Number").Select(n => n.Value));
        Assert.Empty(await api.TwilioApi.ContractViolationsAsync());

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Equal("caller-pressed-0", Only(timeline, "transferred").GetProperty("reason").GetString());
        var stopped = Only(timeline, "stream-stopped");
        Assert.Equal("caller", stopped.GetProperty("endedBy").GetString());
        Assert.Equal("caller-pressed-0", stopped.GetProperty("reason").GetString());
        var agent = api.Agent.Calls[call.CallSid];
        await agent.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(agent.Digits);
        Assert.Equal("transfer", agent.StopReason);
    }

    [Fact]
    public async Task A_call_already_transferred_elsewhere_is_not_updated_again()
    {
        var number = await api.NumberAsync(api.Agent.Url("transfer"), Routing(false, "+14155550175"));
        var call = await api.RingAsync(number);
        api.Live(call);
        // Another replica (or an earlier stream) holds the claim.
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, occurred_at, dedupe_key, payload)
            SELECT id, workspace_id, call_sid, 'transferred', now(), 'transfer', '{"reason":"elsewhere"}' FROM call_logs WHERE call_sid = $1
            """, call.CallSid);
        await using var twilio = await StartAsync(call);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Equal("already-transferred", Only(timeline, "stream-stopped").GetProperty("reason").GetString());
        Assert.Equal("elsewhere", Only(timeline, "transferred").GetProperty("reason").GetString());
        Assert.DoesNotContain(api.TwilioApi.CallUpdates, r => r.Path.Contains(call.CallSid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Zero_is_only_a_key_press_for_the_agent_where_the_number_does_not_allow_a_transfer()
    {
        var number = await api.NumberAsync(api.Agent.Url("converse"), Routing(false, "+14155550182"));
        var call = await api.RingAsync(number);
        api.Live(call);
        await using var twilio = await StartAsync(call);
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("mark", "greeting"));

        await twilio.SendDtmfAsync("0");
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("mark", "after-dtmf"));
        await twilio.SendStopAsync(call.CallSid);
        await twilio.WaitForCloseAsync();

        Assert.Equal(["0"], api.Agent.Calls[call.CallSid].Digits);
        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.DoesNotContain(timeline, e => e.Kind == "transferred");
        Assert.DoesNotContain(api.TwilioApi.CallUpdates, r => r.Path.Contains(call.CallSid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_built_in_agent_honours_zero_and_a_number_without_forward_targets_transfers_to_voicemail()
    {
        var number = await api.NumberAsync(agentUrl: null, Routing(true));
        var call = await api.RingAsync(number);
        api.Live(call);
        await using var twilio = await StartAsync(call);
        // The built-in agent is speaking its prompt; 0 interrupts it.
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("media"));

        await twilio.SendDtmfAsync("0");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        var twiml = api.UpdatedTwiML(call.CallSid).Root!;
        Assert.Null(twiml.Element("Dial"));
        Assert.Equal(Greeting, twiml.Element("Say")!.Value);
        Assert.EndsWith("/api/aloha/webhooks/voicemail-complete", twiml.Element("Record")!.Attribute("action")!.Value);
        Assert.Empty(await api.TwilioApi.ContractViolationsAsync());
        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        var transferred = Only(timeline, "transferred");
        Assert.Equal("voicemail", transferred.GetProperty("to").GetString());
        Assert.Equal("builtin", transferred.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task A_refused_update_is_on_the_timeline_the_stream_still_ends_cleanly_and_the_caller_reaches_voicemail()
    {
        var number = await api.NumberAsync(api.Agent.Url("handled-transfer"), Routing(false, "+14155550191"));
        var call = await api.RingAsync(number);
        // Twilio refuses to redirect a call it no longer holds as live (21220).
        api.Live(call, status: "completed");
        await using var twilio = await StartAsync(call);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());

        Assert.Single(api.TwilioApi.CallUpdates, r => r.Path.Contains(call.CallSid, StringComparison.Ordinal));
        Assert.Empty(await api.TwilioApi.ContractViolationsAsync());
        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        var failed = Only(timeline, "transfer-failed");
        Assert.Equal("twilio-400", failed.GetProperty("reason").GetString());
        Assert.Equal(21220, failed.GetProperty("twilioCode").GetInt32());
        Assert.Equal("transfer-failed", Only(timeline, "stream-stopped").GetProperty("reason").GetString());
        Assert.Contains(timeline, e => e.Kind == "agent-handled");

        // The Connect action Twilio then asks for offers voicemail, although the agent had said handled.
        var after = await api.ConnectActionAsync(call);
        Assert.NotNull(after.Root!.Element("Record"));
    }
}
