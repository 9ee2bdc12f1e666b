using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Voicemail;

namespace Ovrsee.Tests.Voicemail;

/// <summary>The pipeline run by in-process runners against a database of each test's own.</summary>
public class VoicemailPipelineTests
{
    [Fact]
    public async Task A_voicemail_is_downloaded_transcribed_and_summarised_and_a_rerun_changes_nothing()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var ai = await OpenAIDouble.StartAsync();
        var settings = PipelineHost.WithAI(PipelineHost.Settings(database), ai);
        settings["Voicemail:Transcription"] = "SpeechToText";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded"),
            await Stored.JobsAsync(database));
        var transcript = await Stored.VoicemailAsync(database, "transcript", voicemail.Id);
        var summary = await Stored.VoicemailAsync(database, "summary", voicemail.Id);
        Assert.Equal(ai.Transcript, transcript);
        Assert.Equal("model", JsonDocument.Parse(summary!).RootElement.GetProperty("source").GetString());

        // Every job runs again, as after a crash between its work and its completion.
        await Seed.ExecuteAsync(database.AdminConnectionString,
            "UPDATE jobs SET state = 'queued', run_after = now(), completed_at = NULL WHERE payload->>'voicemailId' = $1", voicemail.Id.ToString());
        Assert.True(await Eventually.TrueAsync(async () =>
            await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE state = 'succeeded' AND payload->>'voicemailId' = $1", voicemail.Id.ToString()) == 3),
            "the re-run jobs never all succeeded");

        Assert.Equal(1, recordings.Requests(voicemail.RecordingSid));
        Assert.Equal(1, ai.Transcriptions);
        Assert.Equal(1, ai.Completions);
        Assert.Equal(transcript, await Stored.VoicemailAsync(database, "transcript", voicemail.Id));
        Assert.Equal(summary, await Stored.VoicemailAsync(database, "summary", voicemail.Id));
        Assert.Equal(3L, await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE payload->>'voicemailId' = $1", voicemail.Id.ToString()));
        foreach (var kind in new[] { "voicemail-downloaded", "voicemail-transcript", "voicemail-summary" })
        {
            Assert.Equal(1L, await Stored.EventsAsync(database, voicemail.CallSid, kind));
        }
        Assert.Single(Directory.GetFiles(runner.RecordingsDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_500_and_then_a_timeout_are_retried_until_the_download_succeeds()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        recordings.Behaviour = async (_, request, aborted) => request switch
        {
            1 => Results.StatusCode(StatusCodes.Status500InternalServerError),
            2 => await RecordingDouble.Hang(aborted),
            _ => null,
        };
        var settings = PipelineHost.Settings(database);
        settings["Jobs:JobTimeout"] = "00:00:01";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) is "succeeded" or "dead"));
        Assert.Equal("succeeded", await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(3, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(3, recordings.Requests(voicemail.RecordingSid));
        // The error of the last failed attempt stays visible next to the success.
        Assert.Contains("Timed out", await Stored.JobErrorAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        var storagePath = await Stored.VoicemailAsync(database, "storage_path", voicemail.Id);
        Assert.Equal($"{voicemail.WorkspaceId}/{voicemail.RecordingSid}.wav", storagePath);
        Assert.Equal(RecordingDouble.Audio, await File.ReadAllBytesAsync(Path.Combine(runner.RecordingsDirectory, storagePath!)));
    }

    [Fact]
    public async Task A_missing_recording_is_dead_at_once_with_the_404_kept_and_the_voicemail_marked_failed()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var ai = await OpenAIDouble.StartAsync();
        recordings.Behaviour = (_, _, _) => Task.FromResult<IResult?>(Results.NotFound());
        var settings = PipelineHost.WithAI(PipelineHost.Settings(database), ai);
        settings["Voicemail:Transcription"] = "SpeechToText";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "dead"));
        Assert.Equal(1, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Contains("404", await Stored.JobErrorAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal("failed", await Stored.VoicemailAsync(database, "transcript_status", voicemail.Id));
        Assert.Contains("404", await Stored.VoicemailAsync(database, "transcript_error", voicemail.Id));
        Assert.Equal("not_applicable", await Stored.VoicemailAsync(database, "summary_status", voicemail.Id));
        Assert.Null(await Stored.VoicemailAsync(database, "storage_path", voicemail.Id));
        Assert.Equal(0, ai.Transcriptions);
        Assert.Equal(1L, await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE payload->>'voicemailId' = $1", voicemail.Id.ToString()));
    }

    [Fact]
    public async Task A_failure_that_persists_ends_dead_after_the_configured_attempts_with_its_error()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        recordings.Behaviour = (_, _, _) => Task.FromResult<IResult?>(Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        var settings = PipelineHost.Settings(database);
        settings["Jobs:MaxAttempts"] = "3";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "dead"));
        Assert.Equal(3, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(3, recordings.Requests(voicemail.RecordingSid));
        Assert.Contains("503", await Stored.JobErrorAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(3, await Seed.ScalarAsync<int>(database.AdminConnectionString,
            "SELECT max_attempts FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2", VoicemailJobs.FetchRecording, voicemail.Id.ToString()));
    }

    [Fact]
    public async Task Twilio_credentials_are_never_sent_to_a_host_that_is_not_allowed()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var runner = await PipelineHost.StartAsync(PipelineHost.Settings(database));

        // Same double, but named "localhost": not in Recordings:AllowedHosts.
        var voicemail = await VoicemailSeed.RecordedAsync(database, sid => recordings.RecordingUrl(sid).Replace("127.0.0.1", "localhost"));

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "dead"));
        Assert.Contains("Refusing to fetch http://localhost", await Stored.JobErrorAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(0, recordings.TotalRequests);
        Assert.Empty(recordings.Authorizations);
    }

    [Fact]
    public async Task Without_a_model_the_summary_is_extractive_and_waits_for_Twilios_transcript()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var settings = PipelineHost.Settings(database);
        settings["Voicemail:Transcription"] = "Twilio";
        settings["Voicemail:Pipeline:TwilioTranscriptPollInterval"] = "00:00:00.050";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        // Downloaded, and the summary job keeps waiting for the transcript without using up attempts.
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded"));
        Assert.True(await Eventually.TrueAsync(async () =>
            await Seed.ScalarAsync<DateTime>(database.AdminConnectionString, "SELECT updated_at FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2", VoicemailJobs.Summarize, voicemail.Id.ToString())
            > await Seed.ScalarAsync<DateTime>(database.AdminConnectionString, "SELECT created_at + interval '300 milliseconds' FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2", VoicemailJobs.Summarize, voicemail.Id.ToString())),
            "the summary job was not re-queued while it waited");
        Assert.Equal("pending", await Stored.VoicemailAsync(database, "summary_status", voicemail.Id));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(database.AdminConnectionString,
            "SELECT count(*) FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2 AND (attempts > 1 OR last_error IS NOT NULL)", VoicemailJobs.Summarize, voicemail.Id.ToString()));

        await VoicemailSeed.TranscribedByTwilioAsync(database, voicemail,
            "Hi, this is Maria Lopez from Lopez Dental. Our reception phone line is down, it's an emergency. Call me at (415) 555-0188 as soon as possible.");

        Assert.True(await Eventually.TrueAsync(async () => await Stored.VoicemailAsync(database, "summary_status", voicemail.Id) == "completed"));
        var summary = JsonDocument.Parse((await Stored.VoicemailAsync(database, "summary", voicemail.Id))!).RootElement;
        Assert.Equal("extractive", summary.GetProperty("source").GetString());
        Assert.Equal("Hi, this is Maria Lopez from Lopez Dental. Our reception phone line is down, it's an emergency.", summary.GetProperty("summary").GetString());
        Assert.Equal("Maria Lopez", summary.GetProperty("callerName").GetString());
        Assert.Equal("urgent", summary.GetProperty("urgency").GetString());
        Assert.Equal("+14155550188", summary.GetProperty("callbackNumber").GetString());
        Assert.Equal(VoicemailSeed.From, summary.GetProperty("callerNumber").GetString());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("model").ValueKind);
        Assert.Equal(1L, await Stored.EventsAsync(database, voicemail.CallSid, "voicemail-summary"));
        Assert.Equal(0L, await Stored.EventsAsync(database, voicemail.CallSid, "voicemail-transcript"));
    }

    [Fact]
    public async Task A_Twilio_transcript_that_never_comes_closes_the_voicemail_without_a_summary()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var settings = PipelineHost.Settings(database);
        settings["Voicemail:Transcription"] = "Twilio";
        settings["Voicemail:Pipeline:TwilioTranscriptWait"] = "00:00:00";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded"));
        Assert.Equal("not_applicable", await Stored.VoicemailAsync(database, "summary_status", voicemail.Id));
        Assert.Equal("failed", await Stored.VoicemailAsync(database, "transcript_status", voicemail.Id));
        Assert.StartsWith("No transcript arrived", await Stored.VoicemailAsync(database, "transcript_error", voicemail.Id));
        Assert.Null(await Stored.VoicemailAsync(database, "summary", voicemail.Id));
    }

    [Fact]
    public async Task With_transcription_off_the_recording_is_kept_and_nothing_is_summarised()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var runner = await PipelineHost.StartAsync(PipelineHost.Settings(database));

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded"));
        Assert.NotNull(await Stored.VoicemailAsync(database, "storage_path", voicemail.Id));
        Assert.Equal("not_applicable", await Stored.VoicemailAsync(database, "transcript_status", voicemail.Id));
        Assert.Equal("not_applicable", await Stored.VoicemailAsync(database, "summary_status", voicemail.Id));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE kind = $1", VoicemailJobs.Transcribe));
    }

    [Fact]
    public async Task A_recording_callback_replayed_after_the_pipeline_finished_leaves_its_outcome_alone()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var runner = await PipelineHost.StartAsync(PipelineHost.Settings(database));
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded"));

        // Twilio retries the callback (or the spool replays it) after everything is done.
        await VoicemailSeed.RecordedAgainAsync(database, voicemail, recordings.RecordingUrl(voicemail.RecordingSid));

        Assert.Equal("not_applicable", await Stored.VoicemailAsync(database, "transcript_status", voicemail.Id));
        Assert.Equal("not_applicable", await Stored.VoicemailAsync(database, "summary_status", voicemail.Id));
        Assert.Equal(2L, await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE payload->>'voicemailId' = $1", voicemail.Id.ToString()));
    }
}
