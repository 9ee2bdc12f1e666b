using Ovrsee.Simulator;
using System.Net;
using System.Net.WebSockets;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.Tests.Streaming;

[Trait("Category", "Slow")]
public class AlohaStreamTests(AlohaStreamFixture api) : IClassFixture<AlohaStreamFixture>
{
    private static readonly byte[] CallerFrame = Enumerable.Range(0, 160).Select(i => (byte)(i * 3)).ToArray();

    [Fact]
    public async Task A_full_session_is_on_the_timeline_in_order_and_the_agent_hears_the_caller_and_the_caller_hears_the_agent()
    {
        var (workspace, number) = await api.NumberAsync(api.Agent.Url("converse"));
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var greetingOne = await twilio.WaitForAsync(TwilioMediaStreamClient.Event("media"));
        var greetingTwo = await twilio.WaitForAsync(TwilioMediaStreamClient.Event("media"));
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("mark", "greeting"));
        for (var i = 0; i < 25; i++)
        {
            await twilio.SendMediaAsync(CallerFrame);
            await Task.Delay(20);
        }
        await twilio.SendDtmfAsync("5");
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("clear"));
        var afterDtmf = await twilio.WaitForAsync(TwilioMediaStreamClient.Event("media"));
        await twilio.WaitForAsync(TwilioMediaStreamClient.Event("mark", "after-dtmf"));
        // Twilio's mark echo and dtmf must reach the agent before the stream stops.
        await WaitUntilAsync(() => api.Agent.Calls.TryGetValue(call.CallSid, out var seen) && seen.Marks.Count == 2);
        await twilio.SendStopAsync(call.CallSid);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());

        // The caller heard exactly what the agent said, addressed to this stream.
        Assert.All([greetingOne, greetingTwo, afterDtmf], m => Assert.Equal(twilio.StreamSid, m.GetProperty("streamSid").GetString()));
        Assert.Equal(FakeAlohaAgent.GreetingOne, greetingOne.GetProperty("media").GetProperty("payload").GetBytesFromBase64());
        Assert.Equal(FakeAlohaAgent.GreetingTwo, greetingTwo.GetProperty("media").GetProperty("payload").GetBytesFromBase64());
        Assert.Equal(FakeAlohaAgent.AfterDtmf, afterDtmf.GetProperty("media").GetProperty("payload").GetBytesFromBase64());
        Assert.Equal(["media", "media", "mark", "clear", "media", "mark"], twilio.Received.Select(m => m.GetProperty("event").GetString()));

        // The agent heard exactly what the caller said, in order, and knew which call it was.
        var agent = api.Agent.Calls[call.CallSid];
        await agent.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(call.Parameters["callLogId"], agent.Start.GetProperty("callLogId").GetString());
        Assert.Equal(workspace.ToString(), agent.Start.GetProperty("workspaceId").GetString());
        Assert.Equal(twilio.StreamSid, agent.Start.GetProperty("streamSid").GetString());
        Assert.Equal(AlohaStreamFixture.Caller, agent.Start.GetProperty("from").GetString());
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), agent.Chunks);
        Assert.All(agent.Payloads, p => Assert.Equal(CallerFrame, p));
        Assert.Equal(["5"], agent.Digits);
        Assert.Equal(["greeting", "after-dtmf"], agent.Marks);
        Assert.True(agent.StopReceived);

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Equal(["incoming-call", "stream-started", "agent-connected", "mark", "dtmf", "mark", "stream-stopped"], timeline.Select(e => e.Kind));
        Assert.Equal("external", timeline[2].Payload.GetProperty("agent").GetString());
        Assert.Equal("greeting", timeline[3].Payload.GetProperty("name").GetString());
        Assert.Equal("5", timeline[4].Payload.GetProperty("digit").GetString());
        var stopped = timeline[^1].Payload;
        Assert.Equal("twilio", stopped.GetProperty("endedBy").GetString());
        Assert.Equal("stop", stopped.GetProperty("reason").GetString());
        Assert.Equal(25, stopped.GetProperty("callerFramesReceived").GetInt64());
        Assert.Equal(25, stopped.GetProperty("callerFramesDelivered").GetInt64());
        Assert.Equal(0, stopped.GetProperty("callerFramesDropped").GetInt64());
        Assert.Equal(3, stopped.GetProperty("agentFramesSent").GetInt64());
        Assert.False(stopped.GetProperty("agentHandled").GetBoolean());
    }

    public static TheoryData<string> ForgedSignatures => new()
    {
        "missing",
        "another-token",
        "https-url",
        "other-path",
    };

    [Theory]
    [MemberData(nameof(ForgedSignatures))]
    public async Task A_forged_upgrade_is_refused_with_403_and_nothing_is_written(string forgery)
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("converse"));
        var call = await api.RingAsync(number);
        var connectionsBefore = api.Agent.Connections;
        var signature = forgery switch
        {
            "missing" => null,
            "another-token" => Ovrsee.Twilio.TwilioSignature.Compute("not-our-auth-token-00000000000000", call.StreamUrl, null),
            // Twilio signs the ws(s):// URL it dialled; the http(s) spelling of it is someone else's signature.
            "https-url" => TestMediaStream.Sign("http" + call.StreamUrl["ws".Length..]),
            "other-path" => TestMediaStream.Sign(call.StreamUrl.Replace("/stream", "/other")),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };

        var (client, status) = await TestMediaStream.TryConnectAsync(call.StreamUrl, signature);

        Assert.Null(client);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        await Task.Delay(200); // anything written would be written asynchronously
        Assert.Equal(["incoming-call"], (await api.TimelineAsync(call.CallSid)).Select(e => e.Kind));
        Assert.Equal(connectionsBefore, api.Agent.Connections);
    }

    [Fact]
    public async Task An_upgrade_signed_for_the_url_with_a_trailing_slash_is_accepted()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("voicemail"));
        var call = await api.RingAsync(number);

        var (client, status) = await TestMediaStream.TryConnectAsync(call.StreamUrl, TestMediaStream.Sign(call.StreamUrl + "/"));

        Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
        await client!.DisposeAsync();
    }

    public static TheoryData<string> Mismatches => new()
    {
        "workspace-of-another-tenant",
        "call-log-of-another-call",
        "unknown-call-sid",
        "missing-parameters",
        "ended-call",
        "other-account",
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task Stream_parameters_that_do_not_match_the_call_are_refused_with_policy_violation_and_nothing_is_written(string mismatch)
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("converse"));
        var (otherWorkspace, otherNumber) = await api.NumberAsync(api.Agent.Url("converse"));
        var call = await api.RingAsync(number);
        var otherCall = await api.RingAsync(otherNumber);
        var parameters = new Dictionary<string, string>(call.Parameters);
        var callSid = call.CallSid;
        switch (mismatch)
        {
            case "workspace-of-another-tenant":
                parameters["workspaceId"] = otherWorkspace.ToString();
                break;
            case "call-log-of-another-call":
                parameters["callLogId"] = otherCall.Parameters["callLogId"];
                break;
            case "unknown-call-sid":
                callSid = Seed.NewCallSid();
                break;
            case "missing-parameters":
                parameters.Clear();
                break;
            case "ended-call":
                await Seed.ExecuteAsync(api.Admin, "UPDATE call_logs SET status = 'completed', status_rank = 9 WHERE call_sid = $1", call.CallSid);
                break;
            case "other-account":
                await Seed.ExecuteAsync(api.Admin, "UPDATE call_logs SET account_sid = 'AC11111111111111111111111111111111' WHERE call_sid = $1", call.CallSid);
                break;
        }
        var connectionsBefore = api.Agent.Connections;
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(callSid, parameters);
        try
        {
            await twilio.SendMediaAsync(CallerFrame);
        }
        catch (WebSocketException)
        {
            // The refusal can come on "start", before this frame leaves; the close below is the check.
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await twilio.WaitForCloseAsync());
        await Task.Delay(200);
        Assert.Equal(["incoming-call"], (await api.TimelineAsync(call.CallSid)).Select(e => e.Kind));
        Assert.Equal(["incoming-call"], (await api.TimelineAsync(otherCall.CallSid)).Select(e => e.Kind));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = ANY($1) AND kind <> 'incoming-call'",
            (object)new[] { call.CallSid, otherCall.CallSid, callSid }));
        Assert.Equal(connectionsBefore, api.Agent.Connections);
        Assert.Empty(twilio.Received);
    }

    [Fact]
    public async Task A_call_gets_one_stream_so_a_replayed_handshake_cannot_open_another()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("voicemail"));
        var call = await api.RingAsync(number);
        await using var first = await TestMediaStream.ConnectAsync(call.StreamUrl);
        await using var racing = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await Task.WhenAll(first.SendConnectedAsync(), racing.SendConnectedAsync());
        await Task.WhenAll(first.SendStartAsync(call.CallSid, call.Parameters), racing.SendStartAsync(call.CallSid, call.Parameters));
        var closes = await Task.WhenAll(first.WaitForCloseAsync(), racing.WaitForCloseAsync());
        await api.TimelineAfterStreamAsync(call.CallSid);
        await using var later = await TestMediaStream.ConnectAsync(call.StreamUrl);
        await later.SendConnectedAsync();
        await later.SendStartAsync(call.CallSid, call.Parameters);

        Assert.Equal([WebSocketCloseStatus.NormalClosure, WebSocketCloseStatus.PolicyViolation], closes.Order());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await later.WaitForCloseAsync());
        await Task.Delay(200);
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'stream-started'", call.CallSid));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'stream-stopped'", call.CallSid));
    }

    [Fact]
    public async Task An_unreachable_agent_is_replaced_by_the_built_in_agent_and_the_connect_action_answers_voicemail()
    {
        var (_, number) = await api.NumberAsync($"ws://127.0.0.1:{LoopbackPortNobodyListensOn()}/agent");
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var sender = SendFramesUntilClosedAsync(twilio);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        await sender;
        var chime = twilio.Received.Where(m => m.GetProperty("event").GetString() == "media").ToList();
        Assert.Equal(GreetingClip.Frames.Count, chime.Count);
        Assert.Equal(GreetingClip.Frames[0], chime[0].GetProperty("media").GetProperty("payload").GetBytesFromBase64());
        Assert.Equal("mark", twilio.Received[^1].GetProperty("event").GetString());

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Equal(["incoming-call", "stream-started", "agent-unavailable", "agent-connected", "mark", "stream-stopped"], timeline.Select(e => e.Kind));
        Assert.Equal("connect-failed", timeline[2].Payload.GetProperty("reason").GetString());
        Assert.Equal("builtin", timeline[3].Payload.GetProperty("agent").GetString());
        Assert.Equal("agent", timeline[^1].Payload.GetProperty("endedBy").GetString());
        Assert.Equal("voicemail", timeline[^1].Payload.GetProperty("reason").GetString());

        var twiml = await api.ConnectActionAsync(call);
        Assert.NotNull(twiml.Root!.Element("Record"));
    }

    [Fact]
    public async Task An_agent_that_handled_the_call_makes_the_connect_action_hang_up()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("handled"));
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var sender = SendFramesUntilClosedAsync(twilio);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        await sender;
        Assert.Equal(["media", "mark"], twilio.Received.Select(m => m.GetProperty("event").GetString()));

        // agent-handled is written before the stream closes: the Connect action can come at once.
        var twiml = await api.ConnectActionAsync(call);
        Assert.Equal(["Hangup"], twiml.Root!.Elements().Select(e => e.Name.LocalName));
        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Contains("agent-handled", timeline.Select(e => e.Kind));
        var stopped = timeline.Single(e => e.Kind == "stream-stopped").Payload;
        Assert.Equal("agent", stopped.GetProperty("endedBy").GetString());
        Assert.Equal("agent-hangup", stopped.GetProperty("reason").GetString());
        Assert.True(stopped.GetProperty("agentHandled").GetBoolean());
    }

    [Fact]
    public async Task An_agent_that_asks_for_voicemail_ends_the_stream_and_the_connect_action_records()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("voicemail"));
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var sender = SendFramesUntilClosedAsync(twilio);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        await sender;

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.DoesNotContain("agent-handled", timeline.Select(e => e.Kind));
        Assert.Equal("agent-voicemail", timeline[^1].Payload.GetProperty("reason").GetString());
        Assert.NotNull((await api.ConnectActionAsync(call)).Root!.Element("Record"));
    }

    [Fact]
    public async Task An_agent_that_fails_mid_call_is_replaced_by_the_built_in_agent_and_the_caller_reaches_voicemail()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("crash"));
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var sender = SendFramesUntilClosedAsync(twilio);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        await sender;

        Assert.Equal(GreetingClip.Frames.Count, twilio.Received.Count(m => m.GetProperty("event").GetString() == "media"));
        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Equal(["incoming-call", "stream-started", "agent-connected", "agent-failed", "agent-connected", "mark", "stream-stopped"], timeline.Select(e => e.Kind));
        // Whether the crash is seen first on the agent's socket by a read or by a write is a race.
        Assert.Contains(timeline[3].Payload.GetProperty("reason").GetString(), new[] { "agent-connection-lost", "agent-send-failed" });
        Assert.Equal("external", timeline[4].Payload.GetProperty("fallbackFrom").GetString());
        Assert.NotNull((await api.ConnectActionAsync(call)).Root!.Element("Record"));
    }

    [Fact]
    public async Task A_stream_in_another_media_format_goes_to_voicemail()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("converse"));
        var call = await api.RingAsync(number);
        var connectionsBefore = api.Agent.Connections;
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters, encoding: "audio/l16");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync());
        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.Equal(["incoming-call", "stream-started", "stream-stopped"], timeline.Select(e => e.Kind));
        Assert.Equal("unsupported-media-format", timeline[^1].Payload.GetProperty("reason").GetString());
        Assert.Equal(connectionsBefore, api.Agent.Connections);
        Assert.NotNull((await api.ConnectActionAsync(call)).Root!.Element("Record"));
    }

    [Fact]
    public async Task A_chosen_built_in_agent_speaks_and_a_key_press_interrupts_it_and_hands_over_to_voicemail()
    {
        var (workspace, number) = await api.NumberAsync(null);
        await Seed.ExecuteAsync(api.Admin, "UPDATE workspaces SET agent_builtin = true WHERE id = $1", workspace);
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var sender = SendFramesUntilClosedAsync(twilio);
        var first = await twilio.WaitForAsync(TwilioMediaStreamClient.Event("media"), TimeSpan.FromSeconds(60));
        await twilio.SendDtmfAsync("1");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync(TimeSpan.FromSeconds(60)));
        await sender;
        // It spoke its prompt (not the fallback's chime), and dropped what had not played when the key came.
        Assert.Equal(SpokenPrompt.Frames[0], first.GetProperty("media").GetProperty("payload").GetBytesFromBase64());
        Assert.Contains(twilio.Received, m => m.GetProperty("event").GetString() == "clear");

        var timeline = await api.TimelineAfterStreamAsync(call.CallSid);
        Assert.DoesNotContain("agent-unavailable", timeline.Select(e => e.Kind));
        Assert.Equal("builtin", timeline.Single(e => e.Kind == "agent-connected").Payload.GetProperty("agent").GetString());
        Assert.Equal("1", timeline.Single(e => e.Kind == "dtmf").Payload.GetProperty("digit").GetString());
        var stopped = timeline.Single(e => e.Kind == "stream-stopped").Payload;
        Assert.Equal("agent", stopped.GetProperty("endedBy").GetString());
        Assert.Equal(BuiltInVoiceAgent.CallerAskedForVoicemail, stopped.GetProperty("reason").GetString());
        Assert.NotNull((await api.ConnectActionAsync(call)).Root!.Element("Record"));
    }

    [Fact]
    public async Task A_chosen_built_in_agent_hands_over_to_voicemail_when_the_caller_presses_nothing()
    {
        var (workspace, number) = await api.NumberAsync(null);
        await Seed.ExecuteAsync(api.Admin, "UPDATE workspaces SET agent_builtin = true WHERE id = $1", workspace);
        var call = await api.RingAsync(number);
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);

        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        var sender = SendFramesUntilClosedAsync(twilio);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync(TimeSpan.FromSeconds(60)));
        await sender;
        Assert.Equal(SpokenPrompt.Frames.Count, twilio.Received.Count(m => m.GetProperty("event").GetString() == "media"));
        var stopped = (await api.TimelineAfterStreamAsync(call.CallSid)).Single(e => e.Kind == "stream-stopped").Payload;
        Assert.Equal("no-input", stopped.GetProperty("reason").GetString());
        Assert.NotNull((await api.ConnectActionAsync(call)).Root!.Element("Record"));
    }

    /// <summary>Real-time caller audio until the server closes the stream, as a live call would have.</summary>
    private static async Task SendFramesUntilClosedAsync(TwilioMediaStreamClient twilio)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (!twilio.Closed.IsCompleted && await timer.WaitForNextTickAsync())
            {
                await twilio.SendMediaAsync(CallerFrame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            // The close raced the send: the stream is over, which is what the caller waits for.
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not met in time");
            await Task.Delay(20);
        }
    }

    private static int LoopbackPortNobodyListensOn()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
