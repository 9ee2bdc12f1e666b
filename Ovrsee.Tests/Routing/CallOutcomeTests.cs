using Ovrsee.Simulator;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Routing;

/// <summary>The calls list and detail show each call's outcome and filter by it.</summary>
[Trait("Category", "Slow")]
public class CallOutcomeTests(RoutingFixture api) : IClassFixture<RoutingFixture>
{
    [Fact]
    public async Task Each_call_shows_its_outcome_the_list_filters_by_it_and_replays_change_nothing()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin, agentStreamUrl: "wss://agent.example/aloha");
        var user = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, user);
        var token = CallsApiClient.TokenFor(user);
        var number = await api.NumberAsync("""{"duringHours":"forward","forward":{"targets":["+14155550171"]}}""", inWorkspace: workspace);
        using var http = new HttpClient { BaseAddress = api.Service.HttpEndpoint };
        var simulator = new TwilioSimulator(http, new SimulatorOptions
        {
            TargetBaseUrl = api.Service.HttpEndpoint,
            AuthToken = TestServiceEnvironment.AuthToken,
            AccountSid = TestServiceEnvironment.AccountSid,
        });
        var random = new Random(11);
        var forwarded = SimulatedCall.Random(number, leavesVoicemail: false, random) with { DialOutcomes = ["completed"] };
        var voicemail = SimulatedCall.Random(number, leavesVoicemail: true, random) with { DialOutcomes = ["busy"] };
        var missed = SimulatedCall.Random(number, leavesVoicemail: false, random) with { DialOutcomes = ["no-answer"] };
        foreach (var call in new[] { forwarded, voicemail, missed })
        {
            await simulator.PlaceCallAsync(call);
        }
        // A late, contradicting Dial callback for the answered call is a duplicate of its attempt.
        await api.DialEndedAsync($"{api.Service.HttpEndpoint}api/aloha/webhooks/dial-action?target=0&of=1&voicemail=1", forwarded.CallSid, number, "no-answer");

        async Task<Dictionary<string, string>> ListAsync(string query)
        {
            var page = await CallsApiClient.JsonAsync(await CallsApiClient.GetAsync(http, "/api/aloha/calls" + query, token));
            return page.GetProperty("items").EnumerateArray().ToDictionary(c => c.GetProperty("callSid").GetString()!, c => c.GetProperty("outcome").GetString()!);
        }

        var all = await ListAsync("");
        Assert.Equal("forwarded", all[forwarded.CallSid]);
        Assert.Equal("voicemail", all[voicemail.CallSid]);
        Assert.Equal("missed", all[missed.CallSid]);
        Assert.Equal([forwarded.CallSid], (await ListAsync("?outcome=forwarded")).Keys);
        Assert.Equal(new[] { voicemail.CallSid, missed.CallSid }.Order(), (await ListAsync("?outcome=voicemail,missed")).Keys.Order());

        var id = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM call_logs WHERE call_sid = $1", voicemail.CallSid);
        var detail = await CallsApiClient.JsonAsync(await CallsApiClient.GetAsync(http, $"/api/aloha/calls/{id}", token));
        Assert.Equal("voicemail", detail.GetProperty("call").GetProperty("outcome").GetString());
        Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "forwarded" && e.GetProperty("status").GetString() == "busy");

        // The export carries the outcome in its last column, and filters by it like the list.
        var export = await CallsApiClient.GetAsync(http, "/api/aloha/calls/export.csv?outcome=forwarded,voicemail", token);
        Assert.Equal(System.Net.HttpStatusCode.OK, export.StatusCode);
        var lines = (await export.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",hasVoicemail,outcome", lines[0]);
        var exported = lines.Skip(1).ToDictionary(l => l.Split(',')[1], l => l.Split(',')[^1]);
        Assert.Equal(new Dictionary<string, string> { [forwarded.CallSid] = "forwarded", [voicemail.CallSid] = "voicemail" }, exported);

        var invalid = await CallsApiClient.GetAsync(http, "/api/aloha/calls?outcome=lost", token);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("outcome", await invalid.Content.ReadAsStringAsync());
    }
}
