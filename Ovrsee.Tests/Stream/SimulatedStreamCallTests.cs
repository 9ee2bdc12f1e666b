using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Streaming;

/// <summary>The simulator plays Twilio through a whole streamed call: TwiML, the Media Stream, the Connect action, voicemail.</summary>
[Trait("Category", "Slow")]
public class SimulatedStreamCallTests(AlohaStreamFixture api) : IClassFixture<AlohaStreamFixture>
{
    [Fact]
    public async Task An_unreachable_agent_gets_the_built_in_greeting_then_the_caller_leaves_a_voicemail()
    {
        var (_, number) = await api.NumberAsync("ws://127.0.0.1:9/aloha");
        using var http = new HttpClient();
        var simulator = new TwilioSimulator(http, new SimulatorOptions
        {
            TargetBaseUrl = api.Service.HttpEndpoint,
            AuthToken = TestServiceEnvironment.AuthToken,
            AccountSid = TestServiceEnvironment.AccountSid,
            StreamDuration = TimeSpan.FromSeconds(1),
        });
        var call = SimulatedCall.Random(number, leavesVoicemail: true, new Random(3));

        var outcome = await simulator.PlaceCallAsync(call);

        var stream = Assert.Single(outcome.TwiMLVerbs, v => v.StartsWith("Stream(", StringComparison.Ordinal));
        Assert.DoesNotContain("refused", stream);
        Assert.DoesNotContain("agent 0,", stream);
        Assert.Contains("Record", outcome.TwiMLVerbs);
        Assert.NotNull(outcome.RecordingSid);
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT recording_status FROM voicemail_messages WHERE call_sid = $1", call.CallSid));
        var kinds = await Seed.ScalarAsync<string>(api.Admin, "SELECT string_agg(DISTINCT kind, ',' ORDER BY kind) FROM call_events WHERE call_sid = $1", call.CallSid);
        Assert.Contains("stream-started", kinds);
        Assert.Contains("stream-ended", kinds);
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", call.CallSid));
    }
}
