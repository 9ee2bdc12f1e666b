using System.Net;
using System.Text.Json;
using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Voicemail;

/// <summary>
/// The quick start without Twilio: a Development WebhookApi with its default voicemail settings
/// and no Account SID (as the AppHost runs it without a Twilio account), and the simulator.
/// </summary>
public class OfflineQuickStartFixture : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Jobs__Enabled"] = "true",
        ["Twilio__AccountSid"] = null,
        ["Recordings__Directory"] = TestPostgres.NewRootDirectory("recordings"),
    };
}

[Trait("Category", "Slow")]
public class OfflineQuickStartTests(OfflineQuickStartFixture api) : IClassFixture<OfflineQuickStartFixture>
{
    [Fact]
    public async Task A_simulated_voicemail_ends_playable_with_a_transcript_and_a_summary()
    {
        var (workspace, user, to) = await Seed.MemberWithNumberAsync(api.Admin);

        await using var recordings = RecordingServer.Start();
        using var http = new HttpClient();
        var simulator = new TwilioSimulator(http, new SimulatorOptions
        {
            TargetBaseUrl = api.Service.HttpEndpoint,
            AuthToken = TestServiceEnvironment.AuthToken,
            Recordings = recordings,
        });
        var outcome = await simulator.PlaceCallAsync(SimulatedCall.Random(to, leavesVoicemail: true, Random.Shared));
        Assert.NotNull(outcome.RecordingSid);
        Assert.Equal(1, await recordings.WaitForDownloadsAsync(TimeSpan.FromMinutes(2)));

        var token = TokenFor(user);
        var id = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM call_logs WHERE call_sid = $1", outcome.Call.CallSid);
        JsonElement call = default;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            call = await JsonAsync(await GetAsync(api.Twilio.Http, $"/api/aloha/calls/{id}", token));
            return call.GetProperty("voicemail") is { ValueKind: JsonValueKind.Object } v && v.GetProperty("summaryStatus").GetString() == "completed";
        }, TimeSpan.FromMinutes(2)), "no summary: " + call);

        var voicemail = call.GetProperty("voicemail");
        Assert.Equal("completed", voicemail.GetProperty("transcriptStatus").GetString());
        Assert.Contains("simulated caller", voicemail.GetProperty("transcript").GetString());
        Assert.Equal(JsonValueKind.Object, voicemail.GetProperty("summary").ValueKind);
        var playback = voicemail.GetProperty("playbackUrl").GetString()!;
        var audio = await GetAsync(api.Twilio.Http, playback, token);
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        var bytes = await audio.Content.ReadAsByteArrayAsync();
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal("WAVE", System.Text.Encoding.ASCII.GetString(bytes, 8, 4));
        Assert.True(bytes.Length > 16_000, $"{bytes.Length} bytes is not a few seconds of audio");

        // The simulated call ended, at the latest, now.
        var ended = call.GetProperty("call").GetProperty("endedAt").GetDateTime();
        Assert.True(ended <= DateTime.UtcNow.AddSeconds(5), $"endedAt {ended:O} is in the future");
    }

    [Fact]
    public async Task A_recording_that_cannot_be_fetched_is_reported_dead_not_yet()
    {
        var (workspace, user, to) = await Seed.MemberWithNumberAsync(api.Admin);
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();
        await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, VoicemailSeed.From, to));
        // Twilio's real host with no Account SID configured: the fetch cannot authenticate, ever.
        var recorded = TwilioForms.Recording(callSid, recordingSid);
        recorded["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{TestServiceEnvironment.AccountSid}/Recordings/{recordingSid}";
        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", recorded);
        var id = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM call_logs WHERE call_sid = $1", callSid);
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<string>(api.Admin,
            "SELECT state FROM jobs WHERE kind = 'voicemail.fetch-recording' AND dedupe_key IN (SELECT id::text FROM voicemail_messages WHERE recording_sid = $1)", recordingSid) == "dead",
            TimeSpan.FromMinutes(2)));

        var response = await GetAsync(api.Twilio.Http, $"/api/aloha/calls/{id}/voicemail/recording", TokenFor(user));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Recording could not be fetched", problem.GetProperty("title").GetString());
        Assert.Equal("dead", problem.GetProperty("fetchState").GetString());
        Assert.Contains("credentials are not configured", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("(yet)", problem.GetProperty("detail").GetString());
    }
}
