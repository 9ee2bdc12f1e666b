using System.Net;
using System.Text;
using System.Text.Json;
using Ovrsee.Hosting.Services;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Voicemail;

namespace Ovrsee.Tests.Voicemail;

/// <summary>The real WebhookApi process with its job runner on, pointed at Twilio and OpenAI doubles.</summary>
public class VoicemailPipelineFixture : WebhookApiFixture
{
    public RecordingDouble Recordings { get; private set; } = null!;
    public OpenAIDouble AI { get; private set; } = null!;
    public string RecordingsDirectory { get; } = TestPostgres.NewRootDirectory("recordings");

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Jobs__Enabled"] = "true",
        ["Jobs__PollInterval"] = "00:00:00.100",
        ["Jobs__RetryBaseDelay"] = "00:00:00.100",
        ["Voicemail__Transcription"] = "SpeechToText",
        ["AI__SpeechToText__Endpoint"] = AI.Endpoint,
        ["AI__SpeechToText__Model"] = "whisper-test",
        ["AI__SpeechToText__ApiKey"] = "test-openai-key-not-real",
        ["AI__Chat__Endpoint"] = AI.Endpoint,
        ["AI__Chat__Model"] = "chat-test",
        ["AI__Chat__ApiKey"] = "test-openai-key-not-real",
        ["Recordings__Directory"] = RecordingsDirectory,
        ["Recordings__AllowedHosts__0"] = "127.0.0.1",
    };

    public override async Task InitializeAsync()
    {
        Recordings = await RecordingDouble.StartAsync();
        AI = await OpenAIDouble.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Recordings.DisposeAsync();
        await AI.DisposeAsync();
    }
}

[Trait("Category", "Slow")]
public class VoicemailPipelineEndToEndTests(VoicemailPipelineFixture api) : IClassFixture<VoicemailPipelineFixture>
{
    [Fact]
    public async Task A_signed_recording_webhook_ends_with_the_audio_stored_a_transcript_a_summary_and_their_timeline()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var to = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, to);
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();
        await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, VoicemailSeed.From, to));
        var recorded = TwilioForms.Recording(callSid, recordingSid);
        recorded["RecordingUrl"] = api.Recordings.RecordingUrl(recordingSid);

        var response = await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", recorded);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var id = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM voicemail_messages WHERE recording_sid = $1", recordingSid);
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<string>(api.Admin,
            "SELECT summary_status FROM voicemail_messages WHERE id = $1", id) is "completed" or "failed"),
            "the voicemail was never summarised; " + string.Join('\n', api.Service.RecentOutput().TakeLast(20)));

        // Downloaded with the account's credentials, stored under the workspace.
        Assert.Equal(1, api.Recordings.Requests(recordingSid));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestServiceEnvironment.AccountSid}:{TestServiceEnvironment.AuthToken}")),
            Assert.Single(api.Recordings.Authorizations));
        var storagePath = await Seed.ScalarAsync<string>(api.Admin, "SELECT storage_path FROM voicemail_messages WHERE id = $1", id);
        Assert.Equal($"{workspace}/{recordingSid}.wav", storagePath);
        Assert.Equal(RecordingDouble.Audio, await File.ReadAllBytesAsync(Path.Combine(api.RecordingsDirectory, storagePath!)));

        // Transcribed by the speech-to-text endpoint from the stored audio.
        var transcription = Assert.Single(api.AI.TranscriptionRequests);
        Assert.Equal("whisper-test", transcription.Model);
        Assert.Equal(RecordingDouble.Audio.Length, transcription.FileLength);
        Assert.Equal(api.AI.Transcript, await Seed.ScalarAsync<string>(api.Admin, "SELECT transcript FROM voicemail_messages WHERE id = $1", id));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT transcript_status FROM voicemail_messages WHERE id = $1", id));

        // Summarised by the chat model with structured output.
        var chat = Assert.Single(api.AI.ChatRequests);
        Assert.Equal("chat-test", chat["model"]!.GetValue<string>());
        Assert.Equal("json_schema", chat["response_format"]!["type"]!.GetValue<string>());
        Assert.Contains(api.AI.Transcript, chat.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT summary_status FROM voicemail_messages WHERE id = $1", id));
        var summary = JsonDocument.Parse((await Seed.ScalarAsync<string>(api.Admin, "SELECT summary::text FROM voicemail_messages WHERE id = $1", id))!).RootElement;
        Assert.Equal("model", summary.GetProperty("source").GetString());
        Assert.Equal("chat-test", summary.GetProperty("model").GetString());
        Assert.Equal("Dana Whitfield's water heater is leaking; she asks for an urgent call back.", summary.GetProperty("summary").GetString());
        Assert.Equal("Dana Whitfield", summary.GetProperty("callerName").GetString());
        Assert.Equal("repair request", summary.GetProperty("intent").GetString());
        Assert.Equal("urgent", summary.GetProperty("urgency").GetString());
        Assert.Equal("+14155550123", summary.GetProperty("callbackNumber").GetString());
        Assert.Equal(VoicemailSeed.From, summary.GetProperty("callerNumber").GetString());

        // Every job of the voicemail carries its id and succeeded first time; each milestone is on the timeline once.
        Assert.Equal(["voicemail.fetch-recording:succeeded:1", "voicemail.summarize:succeeded:1", "voicemail.transcribe:succeeded:1"],
            await ListAsync($"SELECT kind || ':' || state || ':' || attempts FROM jobs WHERE payload->>'voicemailId' = '{id}' ORDER BY kind"));
        Assert.Equal(["voicemail-recorded", "voicemail-downloaded", "voicemail-transcript", "voicemail-summary"],
            await ListAsync($"SELECT kind FROM call_events WHERE call_sid = '{callSid}' AND kind LIKE 'voicemail-%' ORDER BY id"));
    }

    private async Task<List<string>> ListAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(api.Admin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }
}

/// <summary>A replica dies mid-job: the job waits out the lease, then another runner finishes it.</summary>
[Trait("Category", "Slow")]
public class RunnerCrashTests
{
    [Fact]
    public async Task A_job_whose_process_was_killed_is_finished_by_another_runner_after_the_lease_expires()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        recordings.Behaviour = async (_, request, aborted) =>
        {
            if (request > 1)
            {
                return null;
            }
            inFlight.TrySetResult();
            return await RecordingDouble.Hang(aborted);
        };
        var recordingsDirectory = TestPostgres.NewRootDirectory("recordings");
        await using ServiceProcess doomed = await WebhookApiFixture.StartServiceAsync(database.ServiceConnectionString, new Dictionary<string, string?>
        {
            ["Jobs__Enabled"] = "true",
            ["Jobs__PollInterval"] = "00:00:00.100",
            ["Jobs__LeaseDuration"] = "00:00:02",
            ["Voicemail__Transcription"] = "None",
            ["Recordings__Directory"] = recordingsDirectory,
            ["Recordings__AllowedHosts__0"] = "127.0.0.1",
        });

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await inFlight.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await doomed.KillAsync();

        var lockedBy = await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT locked_by FROM jobs WHERE kind = $1", VoicemailJobs.FetchRecording);
        Assert.Equal("running", await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.NotNull(lockedBy);

        var settings = PipelineHost.Settings(database, recordingsDirectory);
        await using var survivor = await PipelineHost.StartAsync(settings);
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded"),
            await Stored.JobsAsync(database));

        Assert.Equal(2, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Contains($"Attempt 1 was abandoned: {lockedBy}", await Stored.JobErrorAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(2, recordings.Requests(voicemail.RecordingSid));
        Assert.Equal($"{voicemail.WorkspaceId}/{voicemail.RecordingSid}.wav", await Stored.VoicemailAsync(database, "storage_path", voicemail.Id));
        Assert.Equal(1L, await Stored.EventsAsync(database, voicemail.CallSid, "voicemail-downloaded"));
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded"));
    }
}
