using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Voicemail;

namespace Ovrsee.Tests.Voicemail;

/// <summary>Retention and Twilio-copy deletion, run by the real job runner against Azurite and PostgreSQL.</summary>
[Trait("Category", "Slow")]
public class RecordingRetentionTests
{
    private static async Task<Dictionary<string, string?>> SettingsAsync(TestDatabase database, string container)
    {
        var settings = PipelineHost.Settings(database);
        settings["ConnectionStrings:recordings"] = (await TestAzurite.GetAsync()).ConnectionString;
        settings["Recordings:Blob:Container"] = container;
        settings["Recordings:Retention:Interval"] = "00:00:00.200";
        return settings;
    }

    private static async Task FetchedAsync(TestDatabase database, IEnumerable<VoicemailSeed.Recorded> voicemails)
    {
        foreach (var voicemail in voicemails)
        {
            // The whole chain is finished: no job of the voicemail is still running.
            Assert.True(await Eventually.TrueAsync(async () =>
                await Stored.JobStateAsync(database, VoicemailJobs.FetchRecording, voicemail.Id) == "succeeded"
                && await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded", TimeSpan.FromSeconds(60)),
                await Stored.JobsAsync(database));
        }
    }

    [Fact]
    public async Task An_expired_voicemail_loses_its_blob_and_rows_and_nothing_else_is_touched()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var container = await TestAzurite.ContainerAsync(TestAzurite.NewContainerName());
        await using var recordings = await RecordingDouble.StartAsync();
        await using var host = await PipelineHost.StartAsync(await SettingsAsync(database, container.Name));

        var limited = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl, count: 2);
        var (expired, recent) = (limited[0], limited[1]);
        var keptForever = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        var all = new[] { expired, recent, keptForever };
        await FetchedAsync(database, all);
        foreach (var voicemail in all)
        {
            await VoicemailSeed.TranscribedByTwilioAsync(database, voicemail, $"Private words of {voicemail.RecordingSid}");
        }
        var admin = database.AdminConnectionString;
        const string voicemailEventsSql = "SELECT id FROM call_events WHERE call_sid = $1 AND kind LIKE 'voicemail-%'";
        var expiredEvents = await IdsAsync(admin, voicemailEventsSql, expired.CallSid);
        Assert.Contains("voicemail-transcribed", await IdsAsync(admin, "SELECT kind FROM call_events WHERE call_sid = $1", expired.CallSid));
        var eventsBefore = await IdsAsync(admin, "SELECT id FROM call_events");
        var jobsBefore = await IdsAsync(admin, "SELECT id FROM jobs WHERE payload->>'voicemailId' <> $1", expired.Id.ToString());
        var otherVoicemailsBefore = await IdsAsync(admin, "SELECT concat(id, transcript, storage_path, updated_at) FROM voicemail_messages WHERE id <> $1", expired.Id);
        var callsBefore = await IdsAsync(admin, "SELECT concat(id, status, updated_at) FROM call_logs");
        var blobsBefore = await BlobsAsync(container);
        Assert.Equal(3, blobsBefore.Count);

        // Both of this workspace's voicemails are 40 days old by the clock, but only one by its row: the other is recent.
        await Seed.ExecuteAsync(admin, "UPDATE voicemail_messages SET created_at = now() - interval '40 days' WHERE id = $1 OR id = $2", expired.Id, keptForever.Id);
        await Seed.ExecuteAsync(admin, "UPDATE workspaces SET recording_retention_days = 30 WHERE id = $1", expired.WorkspaceId);

        Assert.True(await Eventually.TrueAsync(async () =>
            await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM voicemail_messages WHERE id = $1", expired.Id) == 0, TimeSpan.FromSeconds(30)),
            await Stored.JobsAsync(database));

        // Gone: the audio, the voicemail row (transcript, summary), its voicemail-* events (Twilio's transcript and URL) and its jobs.
        Assert.Equal(blobsBefore.Where(name => name != $"{expired.WorkspaceId}/{expired.RecordingSid}.wav").ToList(), await BlobsAsync(container));
        Assert.Empty(await IdsAsync(admin, voicemailEventsSql, expired.CallSid));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM jobs WHERE payload->>'voicemailId' = $1", expired.Id.ToString()));
        // Nothing else: the call stays, every other event, job and voicemail is as it was.
        Assert.Equal(eventsBefore.Except(expiredEvents).ToList(), await IdsAsync(admin, "SELECT id FROM call_events"));
        Assert.Equal(jobsBefore, await IdsAsync(admin, "SELECT id FROM jobs WHERE payload->>'voicemailId' <> $1", expired.Id.ToString()));
        Assert.Equal(otherVoicemailsBefore, await IdsAsync(admin, "SELECT concat(id, transcript, storage_path, updated_at) FROM voicemail_messages WHERE id <> $1", expired.Id));
        Assert.Equal(callsBefore, await IdsAsync(admin, "SELECT concat(id, status, updated_at) FROM call_logs"));
        // The sweep stays a standing job. It runs every 200 ms here, so it may be caught running.
        Assert.Contains(await Seed.ScalarAsync<string>(admin, "SELECT state FROM jobs WHERE kind = $1", VoicemailJobs.RecordingRetention), new[] { "queued", "running" });
    }

    [Fact]
    public async Task Twilios_copy_is_deleted_after_ours_is_stored_only_for_workspaces_that_ask()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var container = await TestAzurite.ContainerAsync(TestAzurite.NewContainerName());
        await using var recordings = await RecordingDouble.StartAsync();
        var deletes = new ConcurrentQueue<(string RecordingSid, int OurBlobs)>();
        await using var twilioApi = await HttpDouble.StartAsync(app => app.MapDelete("/2010-04-01/Accounts/{account}/Recordings/{file}", async (string file) =>
        {
            var sid = file.EndsWith(".json", StringComparison.Ordinal) ? file[..^5] : file;
            deletes.Enqueue((sid, (await BlobsAsync(container)).Count(name => name.EndsWith($"/{sid}.wav", StringComparison.Ordinal))));
            return Results.NoContent();
        }));
        var settings = await SettingsAsync(database, container.Name);
        settings["Twilio:BaseUrl"] = twilioApi.BaseAddress.ToString().TrimEnd('/');

        var first = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        var other = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await Seed.ExecuteAsync(database.AdminConnectionString, "UPDATE workspaces SET delete_twilio_recordings = true WHERE id = $1", first.WorkspaceId);
        await using var host = await PipelineHost.StartAsync(settings);
        await FetchedAsync(database, [first, other]);

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.DeleteTwilioRecording, first.Id) == "succeeded"),
            await Stored.JobsAsync(database));
        Assert.Equal([(first.RecordingSid, 1)], deletes.ToArray());
        Assert.Null(await Stored.JobStateAsync(database, VoicemailJobs.DeleteTwilioRecording, other.Id));
        Assert.Equal(1L, await Stored.EventsAsync(database, first.CallSid, "voicemail-twilio-copy-deleted"));
    }

    private static async Task<List<string>> BlobsAsync(Azure.Storage.Blobs.BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var blob in container.GetBlobsAsync())
        {
            names.Add(blob.Name);
        }
        return names;
    }

    private static async Task<List<string>> IdsAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql + (sql.Contains("ORDER BY") ? "" : " ORDER BY 1"), connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = parameter });
        }
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }
        return values;
    }
}
