extern alias apphost;

using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Ovrsee.Simulator;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using Ovrsee.WebhookApi.Reconciliation;
using DevSeed = apphost::Ovrsee.AppHost.DevSeed;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// Through the real AppHost: a voicemail's audio lands in the Azurite resource and plays back from
/// it; the dashboard's "Reconcile now" repairs what Twilio (the double) knows and we missed, and
/// says what it fixed.
/// </summary>
[Trait("Category", "Slow")]
public class AzuriteAndReconcileCommandTests(AzuriteAppHostFixture system) : IClassFixture<AzuriteAppHostFixture>
{
    private const string Caller = "+14155550123";

    [Fact]
    public async Task Azurite_is_the_recording_storage_and_a_voicemail_lands_in_it_and_plays_back()
    {
        // The choice, as the dashboard shows it: the azurite resource, and WebhookApi's environment.
        var azurite = await system.App.ResourceNotifications.WaitForResourceHealthyAsync("azurite");
        Assert.Equal(KnownResourceStates.Running, azurite.Snapshot.State?.Text);
        Assert.True(system.App.ResourceNotifications.TryGetCurrentState("webhookapi", out var webhookApi));
        var environment = webhookApi!.Snapshot.EnvironmentVariables.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("AzureBlob", environment["Recordings__Storage"]);
        var connectionString = (await system.App.GetConnectionStringAsync("azurite"))!;
        Assert.Equal(connectionString, environment["ConnectionStrings__recordings"]);

        // The dashboard's "Place a simulated call": a caller leaves a voicemail, the command serves its audio
        // (as Twilio would) until WebhookApi's job has fetched it into the storage.
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var placed = await commands.ExecuteCommandAsync("webhookapi", "place-simulated-call");
        Assert.True(placed.Success, placed.Message);
        Assert.Contains("its audio was fetched by WebhookApi", placed.Message);
        var recordingSid = Regex.Match(placed.Message!, "RE[0-9a-fA-F]{32}").Value;
        Assert.NotEmpty(recordingSid);

        var key = $"{DevSeed.WorkspaceId}/{recordingSid}.wav";
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<string>(system.AdminConnectionString,
            "SELECT storage_path FROM voicemail_messages WHERE recording_sid = $1", recordingSid) == key, TimeSpan.FromSeconds(60)));
        var blob = new BlobServiceClient(connectionString).GetBlobContainerClient("recordings").GetBlobClient(key);
        var stored = (await blob.DownloadContentAsync()).Value;
        Assert.Equal(ToneWav.Create(recordingSid), stored.Content.ToArray());
        Assert.Equal("audio/x-wav", stored.Details.ContentType);
        // Nothing went to the local folder.
        Assert.False(Directory.Exists(Path.Combine(system.StateDirectory, "recordings")));

        var callId = await Seed.ScalarAsync<Guid>(system.AdminConnectionString, "SELECT call_log_id FROM voicemail_messages WHERE recording_sid = $1", recordingSid);
        using var api = system.App.CreateHttpClient("webhookapi", "http");
        using var playback = await CallsApiClient.GetAsync(api, $"/api/aloha/calls/{callId}/voicemail/recording", CallsApiClient.TokenFor(DevSeed.OwnerUserId));
        Assert.Equal(HttpStatusCode.OK, playback.StatusCode);
        Assert.Equal(stored.Content.ToArray(), await playback.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Reconcile_now_repairs_what_Twilio_knows_and_says_what_it_fixed()
    {
        var started = DateTimeOffset.UtcNow.AddMinutes(-20);
        started = started.AddTicks(-(started.Ticks % TimeSpan.TicksPerSecond));
        // Three calls that never reached us, and one whose completion never did.
        var missed = new[] { ("completed", 61), ("no-answer", 0), ("busy", 0) }
            .Select((c, i) => system.Twilio.AddCall(new DoubleCall
            {
                Sid = Seed.NewCallSid(), From = Caller, To = DevSeed.PhoneNumber, Status = c.Item1, Duration = c.Item2,
                StartTime = started.AddMinutes(i), EndTime = started.AddMinutes(i).AddSeconds(c.Item2),
            }))
            .ToList();
        var ringingOnly = system.Twilio.AddCall(new DoubleCall
        {
            Sid = Seed.NewCallSid(), From = Caller, To = DevSeed.PhoneNumber, Status = "completed", Duration = 47,
            StartTime = started.AddMinutes(5), EndTime = started.AddMinutes(5).AddSeconds(47),
        });
        using (var twilio = new TwilioWebhookClient(system.WebhookApi, TestServiceEnvironment.AuthToken))
        {
            var ringing = await twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(ringingOnly.Sid, Caller, DevSeed.PhoneNumber));
            Assert.Equal(HttpStatusCode.OK, ringing.StatusCode);
        }
        var repairsBefore = await DevNumberRepairsAsync();
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();

        var result = await commands.ExecuteCommandAsync("webhookapi", "reconcile-now");

        Assert.True(result.Success, result.Message);
        Assert.Contains("3 missing calls created, 1 calls closed, 0 missing voicemails created", result.Message);
        var report = JsonDocument.Parse(result.Data!.Value).RootElement;
        Assert.Equal("completed", report.GetProperty("outcome").GetString());
        Assert.Equal("on-demand", report.GetProperty("trigger").GetString());
        foreach (var call in missed.Append(ringingOnly))
        {
            Assert.Equal(call.Status, await Seed.ScalarAsync<string>(system.AdminConnectionString, "SELECT status FROM call_logs WHERE call_sid = $1", call.Sid));
            Assert.Equal(call.Duration, await Seed.ScalarAsync<int?>(system.AdminConnectionString, "SELECT duration_seconds FROM call_logs WHERE call_sid = $1", call.Sid));
            Assert.Equal(1L, await Seed.ScalarAsync<long>(system.AdminConnectionString,
                "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'status' AND payload->>'source' = 'reconciled'", call.Sid));
        }
        Assert.Equal(repairsBefore + 4, await DevNumberRepairsAsync());

        // Twice is once: the second run finds nothing to repair and says so.
        var again = await commands.ExecuteCommandAsync("webhookapi", "reconcile-now");
        Assert.True(again.Success, again.Message);
        Assert.Contains("nothing to repair", again.Message);
        Assert.Equal(repairsBefore + 4, await DevNumberRepairsAsync());

        // While another run (another replica) holds the lock, the command says so rather than waiting forever.
        await using (var otherReplica = new NpgsqlConnection(system.AdminConnectionString))
        {
            await otherReplica.OpenAsync();
            await using var take = new NpgsqlCommand($"SELECT pg_advisory_lock({ReconciliationStore.AdvisoryLockKey})", otherReplica);
            await take.ExecuteNonQueryAsync();
            var busy = await commands.ExecuteCommandAsync("webhookapi", "reconcile-now");
            Assert.False(busy.Success);
            Assert.Contains("under way", busy.Message);
        }
        Assert.Empty(await system.Twilio.ContractViolationsAsync());
    }

    [Fact]
    public async Task Reconcile_now_is_enabled_once_webhookapi_is_healthy()
    {
        var webhookApi = await system.App.ResourceNotifications.WaitForResourceAsync("webhookapi",
            e => e.Snapshot.HealthStatus == HealthStatus.Healthy && e.Snapshot.Commands.Any(c => c.Name == "reconcile-now" && c.State == ResourceCommandState.Enabled))
            .WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("Reconcile now", webhookApi.Snapshot.Commands.Single(c => c.Name == "reconcile-now").DisplayName);
    }

    private Task<long> DevNumberRepairsAsync() => Seed.ScalarAsync<long>(system.AdminConnectionString,
        "SELECT coalesce(sum(reconciled_repairs), 0)::bigint FROM user_phone_numbers WHERE phone_number = $1", DevSeed.PhoneNumber);
}
