using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Streaming;

namespace Ovrsee.Tests.Routing;

/// <summary>
/// The real WebhookApi with the fake agent, whose Twilio REST API is the simulator's own server, so
/// the simulator gets a transfer's call update and follows it, offline, end to end.
/// </summary>
public sealed class SimulatedTransferFixture : AlohaStreamFixture
{
    public RecordingServer TwilioApi { get; } = RecordingServer.Start();

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Twilio__BaseUrl"] = TwilioApi.BaseUrl.ToString().TrimEnd('/');
            return settings;
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await TwilioApi.DisposeAsync();
    }

    public TwilioSimulator Simulator(HttpClient http) => new(http, new SimulatorOptions
    {
        TargetBaseUrl = Service.HttpEndpoint,
        AuthToken = TestServiceEnvironment.AuthToken,
        AccountSid = TestServiceEnvironment.AccountSid,
        Recordings = TwilioApi,
    });
}

[Trait("Category", "Slow")]
public class SimulatedTransferTests(SimulatedTransferFixture api) : IClassFixture<SimulatedTransferFixture>
{
    private const string Routing = """
        {"forward":{"targets":["+14155550201"]},"voicemailGreeting":{"text":"Leave a message."},"transferOnDtmfZero":true}
        """;

    private async Task<string> NumberAsync(string? agentUrl)
    {
        var (workspace, number) = await api.NumberAsync(agentUrl);
        if (agentUrl is null)
        {
            await Seed.ExecuteAsync(api.Admin, "UPDATE workspaces SET agent_builtin = true WHERE id = $1", workspace);
        }
        await Seed.ExecuteAsync(api.Admin, "UPDATE user_phone_numbers SET routing = $2::jsonb WHERE phone_number = $1", number, Routing);
        return number;
    }

    [Fact]
    public async Task The_agents_transfer_reaches_the_person_who_answers()
    {
        var number = await NumberAsync(api.Agent.Url("transfer"));
        using var http = new HttpClient();
        var call = SimulatedCall.Random(number, leavesVoicemail: true, new Random(7)) with { DialOutcomes = ["completed"] };

        var outcome = await api.Simulator(http).PlaceCallAsync(call);

        Assert.Equal(["Connect", "Redirected", "Dial", "Dial(+14155550201: completed)", "Hangup"], outcome.TwiMLVerbs.Where(v => !v.StartsWith("Stream(", StringComparison.Ordinal)));
        Assert.EndsWith(", redirected)", outcome.TwiMLVerbs[1]);
        Assert.Null(outcome.RecordingSid);
        Assert.Equal("forwarded", await OutcomeAsync(call.CallSid));
        Assert.Equal("agent-transfer", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'reason' FROM call_events WHERE call_sid = $1 AND kind = 'transferred'", call.CallSid));
    }

    [Fact]
    public async Task Zero_pressed_during_the_built_in_agent_rings_the_person_and_nobody_answering_reaches_voicemail()
    {
        var number = await NumberAsync(agentUrl: null);
        using var http = new HttpClient();
        var call = SimulatedCall.Random(number, leavesVoicemail: true, new Random(8)) with { DialOutcomes = ["no-answer"], PressDuringAgent = "0" };

        var outcome = await api.Simulator(http).PlaceCallAsync(call);

        Assert.Equal(["Connect", "Redirected", "Dial", "Dial(+14155550201: no-answer)", "Say", "Record", "Say", "Hangup"],
            outcome.TwiMLVerbs.Where(v => !v.StartsWith("Stream(", StringComparison.Ordinal)));
        Assert.Contains(", pressed 0, redirected)", outcome.TwiMLVerbs[1]);
        Assert.NotNull(outcome.RecordingSid);
        Assert.Equal("caller-pressed-0", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'reason' FROM call_events WHERE call_sid = $1 AND kind = 'transferred'", call.CallSid));
        Assert.Equal("no-answer", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT status FROM call_events WHERE call_sid = $1 AND kind = 'forwarded'", call.CallSid));
        Assert.Equal("voicemail", await OutcomeAsync(call.CallSid));
    }

    private Task<string?> OutcomeAsync(string callSid) =>
        Seed.ScalarAsync<string>(api.Admin, "SELECT call_outcome(id, status, status_rank) FROM call_logs WHERE call_sid = $1", callSid);
}
