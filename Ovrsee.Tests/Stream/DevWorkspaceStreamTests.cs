extern alias apphost;

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using apphost::Ovrsee.AppHost;
using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using Ovrsee.WebhookApi.AlohaStream;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Streaming;

/// <summary>
/// The quick start's main path: the AppHost's dev seed on a Development WebhookApi (defaults, no
/// Twilio account), and the simulator calling the dev number as 'Place a simulated call' does.
/// </summary>
[Trait("Category", "Slow")]
public class DevWorkspaceStreamTests(OfflineQuickStartFixture api) : IClassFixture<OfflineQuickStartFixture>
{
    [Fact]
    public async Task The_dev_workspaces_call_reaches_the_stream_and_the_agent_hands_over_to_voicemail_when_the_caller_asks()
    {
        await DevSeed.ApplyAsync(api.Admin, CancellationToken.None);

        await using var recordings = RecordingServer.Start();
        using var http = new HttpClient();
        var simulator = new TwilioSimulator(http, new SimulatorOptions
        {
            TargetBaseUrl = api.Service.HttpEndpoint,
            AuthToken = TestServiceEnvironment.AuthToken,
            Recordings = recordings,
            // Long enough that the caller's key press (half-way) comes well before the hang-up on a busy machine.
            StreamDuration = TimeSpan.FromSeconds(6),
        });
        var outcome = await simulator.PlaceCallAsync(SimulatedCall.Random(DevSeed.PhoneNumber, leavesVoicemail: true, Random.Shared));

        // What the simulator prints: Connect → Stream(…) → Say → Record → …
        var path = string.Join(" → ", outcome.TwiMLVerbs);
        Assert.StartsWith("Connect → Stream(", path);
        var stream = outcome.TwiMLVerbs[1];
        Assert.DoesNotContain("refused", stream);
        Assert.DoesNotContain("agent 0,", stream);
        Assert.Contains("pressed 1, agent ended it", stream);
        // The agent spoke (its prompt is longer than the fallback's chime).
        var agentFrames = int.Parse(System.Text.RegularExpressions.Regex.Match(stream, @"agent (\d+),").Groups[1].Value);
        Assert.True(agentFrames > GreetingClip.Frames.Count, stream);
        Assert.Contains("Record", outcome.TwiMLVerbs.Skip(2));
        Assert.NotNull(outcome.RecordingSid);

        var callSid = outcome.Call.CallSid;
        Assert.Equal("builtin", await Seed.ScalarAsync<string>(api.Admin, "SELECT payload->>'agent' FROM call_events WHERE call_sid = $1 AND kind = 'agent-connected'", callSid));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind IN ('agent-unavailable', 'agent-failed', 'agent-handled')", callSid));
        Assert.Equal("1", await Seed.ScalarAsync<string>(api.Admin, "SELECT payload->>'digit' FROM call_events WHERE call_sid = $1 AND kind = 'dtmf'", callSid));
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'reason' FROM call_events WHERE call_sid = $1 AND kind = 'stream-stopped'", callSid) == "caller-asked-for-voicemail", TimeSpan.FromSeconds(60)));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT recording_status FROM voicemail_messages WHERE call_sid = $1", callSid));
        Assert.Equal(1, await recordings.WaitForDownloadsAsync(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task The_seed_gives_an_existing_dev_workspace_the_built_in_agent_but_never_overrides_an_owners_choice()
    {
        await DevSeed.ApplyAsync(api.Admin, CancellationToken.None);
        // A dev database from before workspaces had agents: the next start gives it the built-in one.
        await Seed.ExecuteAsync(api.Admin, "UPDATE workspaces SET agent_builtin = false, agent_updated_at = NULL WHERE id = $1", DevSeed.WorkspaceId);
        await DevSeed.ApplyAsync(api.Admin, CancellationToken.None);
        Assert.Equal("builtin", await AgentKindAsync());

        try
        {
            Assert.Equal("none", (await PutAgentAsync(new { kind = "none" })).GetProperty("kind").GetString());
            await DevSeed.ApplyAsync(api.Admin, CancellationToken.None);
            Assert.Equal("none", await AgentKindAsync());
        }
        finally
        {
            await PutAgentAsync(new { kind = "builtin" });
        }
    }

    private async Task<string?> AgentKindAsync() =>
        (await JsonAsync(await GetAsync(api.Twilio.Http, "/api/aloha/settings/agent", TokenFor(DevSeed.OwnerUserId)))).GetProperty("kind").GetString();

    private async Task<JsonElement> PutAgentAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/aloha/settings/agent") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(DevSeed.OwnerUserId));
        return await JsonAsync(await api.Twilio.Http.SendAsync(request));
    }
}
