using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Voicemail;
using Ovrsee.WebhookApi.Jobs;

namespace Ovrsee.Tests.Voicemail;

/// <summary>The job runner's guarantees with several replicas, crashes and stops.</summary>
public class JobRunnerTests
{
    [Fact]
    public async Task Two_runners_on_one_database_never_run_the_same_job_at_once_and_run_each_once()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        recordings.Latency = TimeSpan.FromMilliseconds(40);
        var settings = PipelineHost.Settings(database);
        settings["Jobs:Concurrency"] = "4";
        await using var first = await PipelineHost.StartAsync(settings);
        await using var second = await PipelineHost.StartAsync(settings);

        var voicemails = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl, count: 40);

        Assert.True(await Eventually.TrueAsync(async () =>
            await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'succeeded'", VoicemailJobs.FetchRecording) == 40),
            "not every download job succeeded");
        Assert.All(voicemails, v => Assert.Equal(1, recordings.Requests(v.RecordingSid)));
        Assert.Equal(1, recordings.MaxInFlightOverall);
        Assert.Equal(40L, await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE kind = $1 AND attempts = 1", VoicemailJobs.FetchRecording));
        Assert.Equal(40L, await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM call_events WHERE kind = 'voicemail-downloaded'"));
    }

    [Fact]
    public async Task New_work_wakes_an_idle_runner_at_once_not_at_its_next_poll()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var settings = PipelineHost.Settings(database);
        // A safety-net poll far longer than the test may take: only the notification can wake it.
        settings["Jobs:PollInterval"] = "00:05:00";
        await using var runner = await PipelineHost.StartAsync(settings);
        // Idle first: the runner has looked once and is asleep when the work arrives.
        await Task.Delay(500);

        var first = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, first.Id) == "succeeded",
            TimeSpan.FromMinutes(2)), "the runner did not wake for the new job");
        // And again, once it has gone back to sleep.
        var second = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, second.Id) == "succeeded",
            TimeSpan.FromMinutes(2)), "the runner did not wake for the second job");
    }

    [Fact]
    public async Task A_retry_runs_when_its_backoff_ends_not_at_the_next_poll()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        recordings.Behaviour = (_, request, _) => Task.FromResult<IResult?>(request == 1 ? Results.StatusCode(503) : null);
        var settings = PipelineHost.Settings(database);
        settings["Jobs:PollInterval"] = "00:05:00";
        await using var runner = await PipelineHost.StartAsync(settings);

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded",
            TimeSpan.FromMinutes(2)), "the retry waited for the poll");
        Assert.Equal(2, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
    }

    [Fact]
    public async Task A_runner_that_stops_gracefully_hands_its_job_back_for_another_to_finish()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        recordings.Behaviour = async (_, request, aborted) =>
        {
            if (request > 1)
            {
                return null;
            }
            arrived.TrySetResult();
            return await RecordingDouble.Hang(aborted);
        };
        var settings = PipelineHost.Settings(database);
        var stopping = await PipelineHost.StartAsync(settings);
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await stopping.DisposeAsync();

        Assert.Equal("queued", await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(0, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Null(await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT locked_by FROM jobs WHERE kind = $1", VoicemailJobs.FetchRecording));

        await using var next = await PipelineHost.StartAsync(settings);
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded"));
        Assert.Equal(1, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(2, recordings.Requests(voicemail.RecordingSid));
    }

    [Fact]
    public async Task A_runner_that_lost_its_lease_cannot_complete_renew_or_fail_the_job()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ServiceConnectionString);
        var store = new JobStore(dataSource);
        var jobId = await EnqueueAsync(database, "test.noop");
        string[] kinds = ["test.noop"];

        var a = Assert.Single(await store.ClaimAsync("runner-a", 10, kinds, TimeSpan.FromMinutes(1), 5, default));
        Assert.Empty(await store.ClaimAsync("runner-b", 10, kinds, TimeSpan.FromMinutes(1), 5, default));

        // runner-a's process is gone: its lease runs out.
        await Seed.ExecuteAsync(database.AdminConnectionString, "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", jobId);
        var b = Assert.Single(await store.ClaimAsync("runner-b", 10, kinds, TimeSpan.FromMinutes(1), 5, default));

        Assert.Equal(jobId, b.Id);
        Assert.Equal(2, b.Attempt);
        Assert.Contains("Attempt 1 was abandoned: runner-a", await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT last_error FROM jobs WHERE id = $1", jobId));
        Assert.False(await store.CompleteAsync("runner-a", a, default));
        Assert.Empty(await store.RenewAsync("runner-a", [a], TimeSpan.FromMinutes(1), default));
        Assert.Null(await store.FailAsync("runner-a", a, "late failure", permanent: true, TimeSpan.Zero, new NoopHandler(), default));
        Assert.Equal("running", await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT state FROM jobs WHERE id = $1", jobId));

        Assert.Equal([jobId], await store.RenewAsync("runner-b", [b], TimeSpan.FromMinutes(1), default));
        Assert.True(await store.CompleteAsync("runner-b", b, default));
        Assert.Equal("succeeded", await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT state FROM jobs WHERE id = $1", jobId));
    }

    [Fact]
    public async Task A_job_abandoned_on_its_last_attempt_is_dead_not_run_again()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ServiceConnectionString);
        var store = new JobStore(dataSource);
        var jobId = await EnqueueAsync(database, "test.noop");
        string[] kinds = ["test.noop"];

        Assert.Single(await store.ClaimAsync("runner-a", 10, kinds, TimeSpan.FromMinutes(1), maxAttempts: 1, default));
        await Seed.ExecuteAsync(database.AdminConnectionString, "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", jobId);

        Assert.Empty(await store.ClaimAsync("runner-b", 10, kinds, TimeSpan.FromMinutes(1), maxAttempts: 1, default));
        Assert.Equal("dead", await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT state FROM jobs WHERE id = $1", jobId));
        Assert.Contains("abandoned", await Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT last_error FROM jobs WHERE id = $1", jobId));
    }

    [Theory]
    [InlineData("Jobs:Concurrency=0; Jobs:LeaseDuration=00:00:00.100", "Jobs:Concurrency; Jobs:LeaseDuration")]
    [InlineData("Voicemail:Transcription=SpeechToText", "AI:SpeechToText:Model")]
    public async Task Invalid_pipeline_settings_stop_the_runner_from_starting(string invalidSettings, string namedInError)
    {
        // Start-up validation fails before any connection is made.
        var settings = PipelineHost.Settings(Unreachable);
        foreach (var setting in invalidSettings.Split("; "))
        {
            var (key, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
            settings[key] = value;
        }

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => PipelineHost.StartAsync(settings));
        Assert.All(namedInError.Split("; "), name => Assert.Contains(name, error.Message));
    }

    private const string Unreachable = "Host=127.0.0.1;Port=1;Database=unused";

    private static async Task<Guid> EnqueueAsync(TestDatabase database, string kind) =>
        await Seed.ScalarAsync<Guid>(database.AdminConnectionString,
            "INSERT INTO jobs (kind, dedupe_key, payload) VALUES ($1, $2, '{}') RETURNING id", kind, Guid.NewGuid().ToString());

    private sealed class NoopHandler : IJobHandler
    {
        public string Kind => "test.noop";

        public Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken) => Task.FromResult(JobResult.Done);
    }
}
