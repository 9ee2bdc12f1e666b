using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Ovrsee.Hosting;
using Ovrsee.Simulator;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// The whole system under Twilio's worst behaviour: 200 concurrent calls with every chaos option,
/// 30% leaving voicemail, PostgreSQL restarted in the middle. Afterwards the calls API must show
/// exactly the truth the simulator knows: no call lost, none duplicated, every status, duration,
/// timeline and voicemail right. PostgreSQL is stopped by a signal, as an operator or the OS would,
/// and the AppHost's resource starts it again by itself.
/// </summary>
[Collection(AppHostCollection.Name)]
[Trait("Category", "Slow")]
public class ChaosTests(AppHostFixture system, ITestOutputHelper output)
{
    private const int Calls = 200;
    private const int VoicemailCalls = 60;
    // Not the AppHost's seeded dev number: this workspace has a number of its own.
    private static readonly string Number = "+1628" + Random.Shared.Next(1000000, 9999999);

    [Fact]
    public async Task Two_hundred_chaotic_calls_through_a_database_restart_end_exactly_true()
    {
        var webhookApi = system.WebhookApi;
        var admin = system.AdminConnectionString;
        var workspace = await Seed.WorkspaceAsync(admin);
        var user = Guid.NewGuid();
        await Seed.MemberAsync(admin, workspace, user);
        await Seed.PhoneNumberAsync(admin, workspace, Number);

        // Generous: on a shared 2-core machine 200 concurrent calls queue; correctness is what is asserted.
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };
        var simulator = new TwilioSimulator(http, new SimulatorOptions
        {
            TargetBaseUrl = webhookApi,
            AuthToken = AppHostFixture.AuthToken,
            Chaos = ChaosOptions.All,
            Seed = 20261125,
        });
        var random = new Random(7);
        var calls = Enumerable.Range(0, Calls).Select(i => SimulatedCall.Random(Number, i < VoicemailCalls, random)).OrderBy(_ => random.Next()).ToList();

        var placing = Task.WhenAll(calls.Select(call => simulator.PlaceCallAsync(call)));
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        // SIGINT: PostgreSQL's fast shutdown; the resource's launcher starts it again after 1 s.
        Assert.True(UnixProcess.Signal(system.PostmasterPid(), UnixProcess.SigInt));
        output.WriteLine("PostgreSQL stopped");
        using (var back = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            await Task.Delay(TimeSpan.FromSeconds(2), back.Token);
            await system.App.ResourceNotifications.WaitForResourceAsync("postgres", e => e.Snapshot.HealthStatus == HealthStatus.Healthy, back.Token);
        }
        output.WriteLine("PostgreSQL back");
        // The restart ended every connection this test process had pooled; don't hand out a dead one.
        Npgsql.NpgsqlConnection.ClearAllPools();
        var outcomes = await placing;
        output.WriteLine($"requests: {outcomes.Sum(o => o.RequestsSent)}, retries: {outcomes.Sum(o => o.Retries)}");

        // Spooled callbacks drain in the background: wait until the API shows every final status.
        using var api = system.App.CreateHttpClient("webhookapi", "http");
        var token = CallsApiClient.TokenFor(user, secret: AppHostFixture.JwtSecret);
        List<JsonElement> listed = [];
        for (var attempt = 0; attempt < 120; attempt++)
        {
            var page = await CallsApiClient.JsonAsync(await CallsApiClient.GetAsync(api, "/api/aloha/calls?limit=200", token));
            listed = page.GetProperty("items").EnumerateArray().ToList();
            // Every call's recording callback too (completed or absent): a spooled one can be
            // replayed after the call's final status; the assertions below then say exactly once.
            if (listed.Count >= Calls && listed.All(c => c.GetProperty("status").GetString() == "completed")
                && listed.Count(c => c.GetProperty("hasVoicemail").GetBoolean()) >= VoicemailCalls
                && await Seed.ScalarAsync<long>(admin, $"SELECT count(DISTINCT call_sid) FROM call_events WHERE kind = 'voicemail-recorded' AND workspace_id = '{workspace}'") >= Calls
                && await Seed.ScalarAsync<long>(admin, $"SELECT count(DISTINCT call_sid) FROM call_events WHERE kind = 'voicemail-transcribed' AND workspace_id = '{workspace}'") >= VoicemailCalls)
            {
                break;
            }
            await Task.Delay(500);
        }

        Assert.Equal(Calls, listed.Count);
        var bySid = listed.ToDictionary(c => c.GetProperty("callSid").GetString()!);
        Assert.Equal(calls.Select(c => c.CallSid).Order(), bySid.Keys.Order());
        foreach (var outcome in outcomes)
        {
            var call = bySid[outcome.Call.CallSid];
            Assert.Equal("completed", call.GetProperty("status").GetString());
            Assert.Equal(outcome.DurationSeconds, call.GetProperty("durationSeconds").GetInt32());
            Assert.Equal(outcome.Call.From, call.GetProperty("from").GetString());
            Assert.Equal(outcome.Call.LeavesVoicemail, call.GetProperty("hasVoicemail").GetBoolean());
        }

        // Timelines: every callback exactly once, whatever was duplicated, retried or spooled.
        foreach (var outcome in outcomes.Where((_, i) => i % 5 == 0))
        {
            var id = bySid[outcome.Call.CallSid].GetProperty("id").GetGuid();
            var detail = await CallsApiClient.JsonAsync(await CallsApiClient.GetAsync(api, $"/api/aloha/calls/{id}", token));
            var kinds = detail.GetProperty("timeline").EnumerateArray()
                .Select(e => e.GetProperty("kind").GetString() + "/" + (e.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : ""))
                .Order(StringComparer.Ordinal).ToList();
            List<string> expected = ["incoming-call/ringing", "status/completed", "status/in-progress", "status/initiated", "status/ringing",
                outcome.Call.LeavesVoicemail ? "voicemail-recorded/completed" : "voicemail-recorded/absent"];
            if (outcome.Call.LeavesVoicemail)
            {
                expected.Add("voicemail-transcribed/completed");
            }
            Assert.Equal(expected.Order(StringComparer.Ordinal), kinds);
            var voicemail = detail.GetProperty("voicemail");
            Assert.Equal(outcome.RecordingSid is not null, voicemail.ValueKind == JsonValueKind.Object && voicemail.GetProperty("recordingStatus").GetString() == "completed");
        }

        Assert.Equal(VoicemailCalls, (int)await Seed.ScalarAsync<long>(admin, $"SELECT count(*) FROM voicemail_messages WHERE recording_status = 'completed' AND workspace_id = '{workspace}'"));
        Assert.Equal(VoicemailCalls, (int)await Seed.ScalarAsync<long>(admin, $"SELECT count(*) FROM jobs WHERE kind = 'voicemail.fetch-recording' AND workspace_id = '{workspace}'"));
        Assert.Equal(Calls, (int)await Seed.ScalarAsync<long>(admin, $"SELECT count(*) FROM call_logs WHERE workspace_id = '{workspace}'"));
    }
}
