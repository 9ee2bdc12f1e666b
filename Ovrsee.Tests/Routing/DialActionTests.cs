using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Routing;

/// <summary>Forwarding's Dial action: answered, no-answer, busy and failed; sequential targets; duplicates and late callbacks.</summary>
[Trait("Category", "Slow")]
public class DialActionTests(RoutingFixture api) : IClassFixture<RoutingFixture>
{
    private const string Greeting = "Nobody could take your call. Leave a message.";

    private static string Routing(string strategy = "sequential", params string[] targets) => $$$"""
        {"duringHours":"forward","forward":{"targets":[{{{string.Join(",", targets.Select(t => $"\"{t}\""))}}}],"strategy":"{{{strategy}}}","ringTimeoutSeconds":20},
         "voicemailGreeting":{"text":"{{{Greeting}}}"}}
        """;

    private static string ActionOf(XDocument twiml) => twiml.Root!.Element("Dial")!.Attribute("action")!.Value;

    private Task<long> ForwardedCountAsync(string callSid) =>
        Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", callSid);

    [Fact]
    public async Task An_answered_forward_hangs_up_after_the_conversation()
    {
        var number = await api.NumberAsync(Routing("sequential", "+14155550121"));
        var callSid = Seed.NewCallSid();
        var dial = await api.IncomingAsync(callSid, number);

        var after = await api.DialEndedAsync(ActionOf(dial), callSid, number, "completed");

        Assert.Equal(["Hangup"], after.Root!.Elements().Select(e => e.Name.LocalName));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT status FROM call_events WHERE call_sid = $1 AND kind = 'forwarded' AND dedupe_key = 'target:0'", callSid));
        Assert.Equal("hangup", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'OvrseeForwardNext' FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", callSid));
    }

    [Theory]
    [InlineData("no-answer")]
    [InlineData("busy")]
    [InlineData("failed")]
    public async Task Nobody_answering_goes_to_voicemail_with_the_greeting(string dialStatus)
    {
        var number = await api.NumberAsync(Routing("simultaneous", "+14155550131", "+14155550132"));
        var callSid = Seed.NewCallSid();
        var dial = await api.IncomingAsync(callSid, number);
        Assert.Equal(["+14155550131", "+14155550132"], dial.Root!.Element("Dial")!.Elements("Number").Select(n => n.Value));

        var after = await api.DialEndedAsync(ActionOf(dial), callSid, number, dialStatus);

        Assert.Equal(Greeting, after.Root!.Element("Say")!.Value);
        Assert.NotNull(after.Root!.Element("Record"));
        Assert.Equal(dialStatus, await Seed.ScalarAsync<string>(api.Admin,
            "SELECT status FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", callSid));
        Assert.Equal("voicemail", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'OvrseeForwardNext' FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", callSid));
    }

    [Fact]
    public async Task Sequential_targets_ring_in_turn_then_voicemail()
    {
        var number = await api.NumberAsync(Routing("sequential", "+14155550141", "+14155550142"));
        var callSid = Seed.NewCallSid();
        var first = await api.IncomingAsync(callSid, number);
        Assert.Equal("+14155550141", first.Root!.Element("Dial")!.Element("Number")!.Value);

        var second = await api.DialEndedAsync(ActionOf(first), callSid, number, "no-answer");
        Assert.Equal("+14155550142", second.Root!.Element("Dial")!.Element("Number")!.Value);
        Assert.Contains("target=1&of=2", ActionOf(second));

        var voicemail = await api.DialEndedAsync(ActionOf(second), callSid, number, "busy");
        Assert.Equal(Greeting, voicemail.Root!.Element("Say")!.Value);
        Assert.Equal(2, await ForwardedCountAsync(callSid));
    }

    [Fact]
    public async Task Duplicate_and_late_Dial_callbacks_change_nothing()
    {
        var number = await api.NumberAsync(Routing("sequential", "+14155550151", "+14155550152"));
        var callSid = Seed.NewCallSid();
        var first = await api.IncomingAsync(callSid, number);
        var second = await api.DialEndedAsync(ActionOf(first), callSid, number, "no-answer");
        await api.DialEndedAsync(ActionOf(second), callSid, number, "completed");
        const string timeline = "SELECT string_agg(dedupe_key || '=' || status || '>' || (payload->>'OvrseeForwardNext'), ',' ORDER BY dedupe_key) FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'";
        var before = await Seed.ScalarAsync<string>(api.Admin, timeline, callSid);

        // Twilio's retry of both, the first one arriving late (after the second), and a late contradicting one.
        await api.DialEndedAsync(ActionOf(second), callSid, number, "completed");
        await api.DialEndedAsync(ActionOf(first), callSid, number, "no-answer");
        await api.DialEndedAsync(ActionOf(first), callSid, number, "busy");

        Assert.Equal("target:0=no-answer>forward,target:1=completed>hangup", before);
        Assert.Equal(before, await Seed.ScalarAsync<string>(api.Admin, timeline, callSid));
    }

    [Fact]
    public async Task A_Dial_action_without_its_attempt_is_400()
    {
        var number = await api.NumberAsync(null);
        var form = TwilioForms.IncomingCall(Seed.NewCallSid(), RoutingFixture.Caller, number);
        form["DialCallStatus"] = "busy";

        var response = await api.Twilio.PostAsync("/api/aloha/webhooks/dial-action?target=3&of=2", form);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
}
