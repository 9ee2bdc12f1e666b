using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.AspNetCore.Http;
using Ovrsee.Hosting.Services;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Voicemail;

namespace Ovrsee.Tests.Voicemail;

/// <summary>
/// Two real WebhookApi processes (two replicas) against one Azurite and one PostgreSQL, both
/// running jobs. Each replica signs Twilio downloads with its own API key, so the recording
/// double can tell which replica fetched a recording.
/// </summary>
[Trait("Category", "Slow")]
public class TwoReplicaRecordingTests
{
    private const int BlockSize = 256 * 1024;
    private static readonly (string Key, string Secret) ReplicaA = ("SK" + new string('a', 32), "secret-of-replica-a");
    private static readonly (string Key, string Secret) ReplicaB = ("SK" + new string('b', 32), "secret-of-replica-b");

    private static async Task<ServiceProcess> StartReplicaAsync(TestDatabase database, string container, (string Key, string Secret) apiKey) =>
        await WebhookApiFixture.StartServiceAsync(database.ServiceConnectionString, new Dictionary<string, string?>
        {
            ["Jobs__Enabled"] = "true",
            ["Jobs__PollInterval"] = "00:00:00.100",
            ["Jobs__LeaseDuration"] = "00:00:02",
            ["Jobs__RetryBaseDelay"] = "00:00:00.100",
            ["Jobs__Concurrency"] = "1",
            ["Voicemail__Transcription"] = "None",
            ["ConnectionStrings__recordings"] = (await TestAzurite.GetAsync()).ConnectionString,
            ["Recordings__Blob__Container"] = container,
            ["Recordings__Blob__BlockSizeBytes"] = BlockSize.ToString(),
            ["Recordings__AllowedHosts__0"] = "127.0.0.1",
            ["Twilio__ApiKey"] = apiKey.Key,
            ["Twilio__ApiSecret"] = apiKey.Secret,
        });

    private static string Basic((string Key, string Secret) apiKey) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{apiKey.Key}:{apiKey.Secret}"));

    [Fact]
    public async Task Voicemails_fetched_by_either_replica_play_from_both()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var container = TestAzurite.NewContainerName();
        await using var recordings = await RecordingDouble.StartAsync();
        // Each download takes a while, so one replica cannot take every job.
        recordings.Latency = TimeSpan.FromMilliseconds(300);
        var replicas = await Task.WhenAll(StartReplicaAsync(database, container, ReplicaA), StartReplicaAsync(database, container, ReplicaB));
        await using var a = replicas[0];
        await using var b = replicas[1];

        var voicemails = new List<VoicemailSeed.Recorded>();
        for (var round = 0; round < 5 && !FetchedByBoth(); round++)
        {
            var batch = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl, count: 6);
            voicemails.AddRange(batch);
            foreach (var voicemail in batch)
            {
                Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded",
                    TimeSpan.FromSeconds(60)), await Stored.JobsAsync(database));
            }
        }
        Assert.True(FetchedByBoth(), "one replica fetched every recording: " + string.Join(", ", voicemails.Select(v => recordings.AuthorizationFor(v.RecordingSid))));

        var user = Guid.NewGuid();
        foreach (var workspace in voicemails.Select(v => v.WorkspaceId).Distinct())
        {
            await Seed.MemberAsync(database.AdminConnectionString, workspace, user);
        }
        var token = CallsApiClient.TokenFor(user);
        using var clientA = new HttpClient { BaseAddress = a.HttpEndpoint };
        using var clientB = new HttpClient { BaseAddress = b.HttpEndpoint };
        foreach (var voicemail in voicemails)
        {
            var callId = await Seed.ScalarAsync<Guid>(database.AdminConnectionString, "SELECT call_log_id FROM voicemail_messages WHERE id = $1", voicemail.Id);
            Assert.Equal($"{voicemail.WorkspaceId}/{voicemail.RecordingSid}.wav", await Stored.VoicemailAsync(database, "storage_path", voicemail.Id));
            foreach (var client in new[] { clientA, clientB })
            {
                using var response = await CallsApiClient.GetAsync(client, $"/api/aloha/calls/{callId}/voicemail/recording", token, voicemail.WorkspaceId);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("audio/x-wav", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(RecordingDouble.Audio, await response.Content.ReadAsByteArrayAsync());
            }
        }

        bool FetchedByBoth()
        {
            var fetchers = voicemails.Select(v => recordings.AuthorizationFor(v.RecordingSid)).ToHashSet();
            return fetchers.Contains(Basic(ReplicaA)) && fetchers.Contains(Basic(ReplicaB));
        }
    }

    [Fact]
    public async Task A_replica_killed_mid_upload_leaves_no_half_blob_and_the_other_replica_finishes_the_job()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var containerName = TestAzurite.NewContainerName();
        var container = await TestAzurite.ContainerAsync(containerName);
        var audio = GeneratedAudio.Bytes(12L * BlockSize);
        var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var recordings = await RecordingDouble.StartAsync();
        recordings.Behaviour = (_, request, aborted) => Task.FromResult<IResult?>(request == 1
            // The first download sends half the audio, then stalls: the replica is killed while uploading.
            ? Results.Stream(async body =>
            {
                await body.WriteAsync(audio.AsMemory(0, audio.Length / 2), aborted);
                await body.FlushAsync(aborted);
                halfSent.TrySetResult();
                await Task.Delay(Timeout.Infinite, aborted);
            }, "audio/x-wav")
            : Results.Bytes(audio, "audio/x-wav"));
        var replicas = await Task.WhenAll(StartReplicaAsync(database, containerName, ReplicaA), StartReplicaAsync(database, containerName, ReplicaB));
        await using var a = replicas[0];
        await using var b = replicas[1];

        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        var key = $"{voicemail.WorkspaceId}/{voicemail.RecordingSid}.wav";
        await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var (doomed, survivor) = recordings.AuthorizationFor(voicemail.RecordingSid) == Basic(ReplicaA) ? (a, b) : (b, a);
        Assert.True(await Eventually.TrueAsync(async () => await TestAzurite.UncommittedBlocksAsync(container, key) > 0, TimeSpan.FromSeconds(60)),
            "the replica never started uploading the half it had");

        await doomed.KillAsync();

        // Mid-upload: blocks are staged, but there is no blob, and playback says so instead of playing half.
        Assert.False(await container.GetBlobClient(key).ExistsAsync());
        var user = Guid.NewGuid();
        await Seed.MemberAsync(database.AdminConnectionString, voicemail.WorkspaceId, user);
        var callId = await Seed.ScalarAsync<Guid>(database.AdminConnectionString, "SELECT call_log_id FROM voicemail_messages WHERE id = $1", voicemail.Id);
        using var client = new HttpClient { BaseAddress = survivor.HttpEndpoint };
        var playback = $"/api/aloha/calls/{callId}/voicemail/recording";
        using (var missing = await CallsApiClient.GetAsync(client, playback, CallsApiClient.TokenFor(user), voicemail.WorkspaceId))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // The survivor takes the job over when the dead replica's lease runs out, and stores it whole.
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded",
            TimeSpan.FromSeconds(60)), await Stored.JobsAsync(database));
        Assert.Equal(2, await Stored.JobAttemptsAsync(database, VoicemailJobs.FetchRecording, voicemail.Id));
        Assert.Equal(2, recordings.Requests(voicemail.RecordingSid));
        Assert.Equal(Basic(survivor == a ? ReplicaA : ReplicaB), recordings.AuthorizationFor(voicemail.RecordingSid));
        Assert.Equal(key, await Stored.VoicemailAsync(database, "storage_path", voicemail.Id));
        BlobProperties properties = await container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal(audio.Length, properties.ContentLength);
        using var played = await CallsApiClient.GetAsync(client, playback, CallsApiClient.TokenFor(user), voicemail.WorkspaceId);
        Assert.Equal(HttpStatusCode.OK, played.StatusCode);
        Assert.Equal(audio, await played.Content.ReadAsByteArrayAsync());
    }
}
