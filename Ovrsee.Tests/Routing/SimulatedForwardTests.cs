using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Routing;

/// <summary>The simulator follows a forwarding Dial end to end against the real service.</summary>
[Trait("Category", "Slow")]
public class SimulatedForwardTests(RoutingFixture api) : IClassFixture<RoutingFixture>
{
    private TwilioSimulator Simulator(HttpClient http) => new(http, new SimulatorOptions
    {
        TargetBaseUrl = api.Service.HttpEndpoint,
        AuthToken = TestServiceEnvironment.AuthToken,
        AccountSid = TestServiceEnvironment.AccountSid,
    });

    private const string Routing = """
        {"duringHours":"forward","forward":{"targets":["+14155550161","+14155550162"]},"voicemailGreeting":{"text":"Leave a message."}}
        """;

    [Fact]
    public async Task Nobody_answers_in_turn_so_the_caller_leaves_a_voicemail()
    {
        var number = await api.NumberAsync(Routing);
        using var http = new HttpClient();
        var call = SimulatedCall.Random(number, leavesVoicemail: true, new Random(5)) with { DialOutcomes = ["no-answer", "busy"] };

        var outcome = await Simulator(http).PlaceCallAsync(call);

        Assert.Equal(["Dial", "Dial(+14155550161: no-answer)", "Dial", "Dial(+14155550162: busy)", "Say", "Record", "Say", "Hangup"], outcome.TwiMLVerbs);
        Assert.NotNull(outcome.RecordingSid);
        Assert.Equal("no-answer,busy", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT string_agg(status, ',' ORDER BY dedupe_key) FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", call.CallSid));
        Assert.Equal(outcome.RecordingSid, await Seed.ScalarAsync<string>(api.Admin,
            "SELECT recording_sid FROM voicemail_messages WHERE call_sid = $1", call.CallSid));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", call.CallSid));
    }

    [Fact]
    public async Task The_person_answers_and_the_call_ends_without_voicemail()
    {
        var number = await api.NumberAsync(Routing);
        using var http = new HttpClient();
        var call = SimulatedCall.Random(number, leavesVoicemail: true, new Random(6)) with { DialOutcomes = ["completed"] };

        var outcome = await Simulator(http).PlaceCallAsync(call);

        Assert.Equal(["Dial", "Dial(+14155550161: completed)", "Hangup"], outcome.TwiMLVerbs);
        Assert.Null(outcome.RecordingSid);
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM voicemail_messages WHERE call_sid = $1", call.CallSid));
    }
}
