using System.Net;
using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

[Trait("Category", "Slow")]
public class IncomingCallTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private const string Caller = "+14155550100";

    private async Task<(Guid Workspace, string Number)> NumberAsync(string? agentUrl = null, bool voicemail = true, bool active = true)
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin, agentStreamUrl: agentUrl);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, number, voicemail, active);
        return (workspace, number);
    }

    private async Task<XDocument> PostIncomingAsync(string callSid, string to)
    {
        var response = await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, Caller, to));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_number_with_an_agent_connects_the_caller_to_the_stream_with_the_call_and_workspace()
    {
        var (workspace, number) = await NumberAsync(agentUrl: "wss://agent.example/aloha");
        var callSid = Seed.NewCallSid();

        var twiml = await PostIncomingAsync(callSid, number);

        var callLogId = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM call_logs WHERE call_sid = $1", callSid);
        var connect = twiml.Root!.Element("Connect")!;
        Assert.StartsWith(api.Twilio.BaseAddress.ToString().TrimEnd('/') + "/api/aloha/webhooks/connect-action", connect.Attribute("action")!.Value);
        Assert.EndsWith("voicemail=1", connect.Attribute("action")!.Value);
        var stream = connect.Element("Stream")!;
        Assert.Equal($"ws://{api.Twilio.BaseAddress.Authority}/api/aloha/stream", stream.Attribute("url")!.Value);
        var parameters = stream.Elements("Parameter").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value);
        Assert.Equal(callLogId.ToString(), parameters["callLogId"]);
        Assert.Equal(workspace.ToString(), parameters["workspaceId"]);
        Assert.Equal(workspace, await Seed.ScalarAsync<Guid>(api.Admin, "SELECT workspace_id FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Equal("ringing", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task A_retried_incoming_call_gives_one_call_log_one_event_and_the_same_twiml()
    {
        var (_, number) = await NumberAsync(agentUrl: "wss://agent.example/aloha");
        var callSid = Seed.NewCallSid();

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add((await PostIncomingAsync(callSid, number)).ToString());
        }

        Assert.Single(answers.Distinct());
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task Without_an_agent_the_caller_goes_straight_to_voicemail_that_cannot_loop()
    {
        var (_, number) = await NumberAsync();

        var twiml = await PostIncomingAsync(Seed.NewCallSid(), number);

        var record = twiml.Root!.Element("Record")!;
        var webhooks = api.Twilio.BaseAddress.ToString().TrimEnd('/') + "/api/aloha/webhooks";
        Assert.Equal(webhooks + "/voicemail-complete", record.Attribute("action")!.Value);
        Assert.Equal(webhooks + "/voicemail-recorded", record.Attribute("recordingStatusCallback")!.Value);
        Assert.Equal(webhooks + "/voicemail-transcribed", record.Attribute("transcribeCallback")!.Value);
        Assert.Equal("Hangup", twiml.Root!.Elements().Last().Name.LocalName);

        var complete = await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-complete", TwilioForms.Recording(Seed.NewCallSid(), TwilioForms.NewRecordingSid()));
        var goodbye = XDocument.Parse(await complete.Content.ReadAsStringAsync());
        Assert.Equal(["Say", "Hangup"], goodbye.Root!.Elements().Select(e => e.Name.LocalName));
    }

    [Fact]
    public async Task An_unknown_number_hears_not_in_service_and_is_recorded_as_rejected()
    {
        var callSid = Seed.NewCallSid();

        var twiml = await PostIncomingAsync(callSid, "+19995550000");

        Assert.Equal(["Say", "Hangup"], twiml.Root!.Elements().Select(e => e.Name.LocalName));
        Assert.Contains("not in service", twiml.Root!.Element("Say")!.Value);
        Assert.Equal("rejected", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task An_inactive_number_is_not_in_service()
    {
        var (_, number) = await NumberAsync(active: false);
        var callSid = Seed.NewCallSid();

        var twiml = await PostIncomingAsync(callSid, number);

        Assert.Contains("not in service", twiml.Root!.Element("Say")!.Value);
        Assert.Equal("rejected", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task When_the_stream_ends_without_the_agent_the_caller_reaches_voicemail()
    {
        var (_, number) = await NumberAsync(agentUrl: "wss://agent.example/aloha");
        var callSid = Seed.NewCallSid();
        var action = (await PostIncomingAsync(callSid, number)).Root!.Element("Connect")!.Attribute("action")!.Value;

        var response = await api.Twilio.PostAsync(new Uri(action).PathAndQuery, TwilioForms.IncomingCall(callSid, Caller, number));
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.NotNull(twiml.Root!.Element("Record"));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'stream-ended'", callSid));
    }
}
