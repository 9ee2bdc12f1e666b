using System.Text.Json.Nodes;
using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Routing;

/// <summary>The incoming-call answer from the number's routing and the (controlled) clock, and its timeline entry.</summary>
[Trait("Category", "Slow")]
public class IncomingCallRoutingTests(RoutingFixture api) : IClassFixture<RoutingFixture>
{
    private const string Forward = """
        "forward":{"targets":["+14155550111"],"ringTimeoutSeconds":15,"callerId":"number"}
        """;

    private async Task<(XDocument Twiml, JsonNode Routed)> CallAsync(string? routing)
    {
        var number = await api.NumberAsync(routing);
        var callSid = Seed.NewCallSid();
        var twiml = await api.IncomingAsync(callSid, number);
        return (twiml, JsonNode.Parse(await api.RoutedAsync(callSid))!);
    }

    [Fact]
    public async Task A_number_without_routing_goes_to_the_agent_as_before_with_the_same_timeline()
    {
        var number = await api.NumberAsync(null);
        var callSid = Seed.NewCallSid();
        var twiml = await api.IncomingAsync(callSid, number);
        // The timeline writer stores entries in the order they were queued: once a later call's
        // routed entry is stored, any for the first call would be too.
        var (_, later) = await CallAsync("""{"duringHours":"agent"}""");

        Assert.NotNull(twiml.Root!.Element("Connect")?.Element("Stream"));
        Assert.Equal("agent", (string?)later["answer"]);
        Assert.Equal(["incoming-call"], (await Seed.ScalarAsync<string>(api.Admin,
            "SELECT string_agg(kind, ',') FROM call_events WHERE call_sid = $1", callSid))!.Split(','));
    }

    [Fact]
    public async Task Hours_follow_the_local_clock_after_the_DST_change()
    {
        // 10:30 EDT: inside 10:00-11:00, outside 09:00-10:00 (a fixed UTC-5 offset would say the opposite).
        var (inside, insideRouted) = await CallAsync($$"""
            {"timeZone":"America/New_York","businessHours":{"sunday":[{"from":"10:00","to":"11:00"}]},"duringHours":"forward",{{Forward}}}
            """);
        var (outside, outsideRouted) = await CallAsync($$"""
            {"timeZone":"America/New_York","businessHours":{"sunday":[{"from":"09:00","to":"10:00"}]},"duringHours":"forward",{{Forward}}}
            """);

        Assert.Equal("during-hours", (string?)insideRouted["period"]);
        var dial = inside.Root!.Element("Dial")!;
        Assert.Equal("+14155550111", dial.Element("Number")!.Value);
        Assert.Equal("15", dial.Attribute("timeout")!.Value);
        Assert.StartsWith("+1415", dial.Attribute("callerId")!.Value); // callerId "number": ours
        Assert.Contains("/api/aloha/webhooks/dial-action?target=0&of=1&voicemail=1", dial.Attribute("action")!.Value);

        Assert.Equal("after-hours", (string?)outsideRouted["period"]);
        Assert.Equal("voicemail", (string?)outsideRouted["answer"]);
        Assert.NotNull(outside.Root!.Element("Record"));
    }

    [Fact]
    public async Task A_range_past_midnight_still_holds_on_the_next_morning()
    {
        // Nouméa reads Monday 01:30: Sunday's 22:00-02:00 holds, Monday's own hours start at 09:00.
        var (open, openRouted) = await CallAsync("""
            {"timeZone":"Pacific/Noumea","businessHours":{"sunday":[{"from":"22:00","to":"02:00"}],"monday":[{"from":"09:00","to":"17:00"}]}}
            """);
        var (closed, closedRouted) = await CallAsync("""
            {"timeZone":"Pacific/Noumea","businessHours":{"sunday":[{"from":"22:00","to":"01:00"}],"monday":[{"from":"09:00","to":"17:00"}]}}
            """);

        Assert.Equal("during-hours", (string?)openRouted["period"]);
        Assert.NotNull(open.Root!.Element("Connect"));
        Assert.Equal("after-hours", (string?)closedRouted["period"]);
        Assert.NotNull(closed.Root!.Element("Record"));
    }

    [Fact]
    public async Task A_closure_day_is_after_hours_with_the_after_hours_greeting()
    {
        var (twiml, routed) = await CallAsync("""
            {"timeZone":"UTC","businessHours":{"sunday":[{"from":"00:00","to":"24:00"}]},"closures":["2026-03-08"],
             "afterHoursGreeting":{"text":"We are closed for the holiday.","voice":"Polly.Joanna","language":"en-US"},
             "voicemailGreeting":{"text":"Please leave a message."}}
            """);

        Assert.Equal("closure", (string?)routed["period"]);
        Assert.Equal("voicemail", (string?)routed["route"]);
        var say = twiml.Root!.Element("Say")!;
        Assert.Equal("We are closed for the holiday.", say.Value);
        Assert.Equal("Polly.Joanna", say.Attribute("voice")!.Value);
        Assert.Equal("en-US", say.Attribute("language")!.Value);
        Assert.NotNull(twiml.Root!.Element("Record"));
    }

    [Fact]
    public async Task An_audio_greeting_is_played_and_voicemail_off_means_unavailable()
    {
        var (played, _) = await CallAsync("""
            {"duringHours":"voicemail","voicemailGreeting":{"audioUrl":"https://cdn.example.com/greeting.mp3"}}
            """);
        Assert.Equal("https://cdn.example.com/greeting.mp3", played.Root!.Element("Play")!.Value);
        Assert.NotNull(played.Root!.Element("Record"));

        var number = await api.NumberAsync("""{"duringHours":"voicemail"}""", voicemail: false);
        var callSid = Seed.NewCallSid();
        var unavailable = await api.IncomingAsync(callSid, number);
        Assert.Null(unavailable.Root!.Element("Record"));
        Assert.NotNull(unavailable.Root!.Element("Hangup"));
        Assert.Equal("unavailable", (string?)JsonNode.Parse(await api.RoutedAsync(callSid))!["answer"]);
    }
}
