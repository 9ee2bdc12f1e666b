using System.Net;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Ovrsee.Hosting;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// The local PostgreSQL resource restarts on its own when it dies, its state in the dashboard says
/// so (Unhealthy while down), and WebhookApi keeps taking Twilio's webhooks meanwhile (spooled).
/// </summary>
[Collection(AppHostCollection.Name)]
[Trait("Category", "Slow")]
public class PostgresRestartTests(AppHostFixture system)
{
    [Fact]
    public async Task A_killed_postgres_comes_back_by_itself_and_webhooks_taken_meanwhile_are_stored()
    {
        var workspace = await Seed.WorkspaceAsync(system.AdminConnectionString);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(system.AdminConnectionString, workspace, number);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var notifications = system.App.ResourceNotifications;
        var killed = system.PostmasterPid();

        var restartsBefore = Restarts(notifications);
        Assert.True(UnixProcess.Signal(killed, 9));

        // Twilio does not wait for our database: the callback is accepted and spooled.
        var callSid = Seed.NewCallSid();
        using var twilio = new TwilioWebhookClient(system.WebhookApi, AppHostFixture.AuthToken);
        var status = await twilio.PostAsync("/api/aloha/webhooks/call-status",
            TwilioForms.Status(callSid, "+14155550100", number, "completed", sequence: 3, DateTimeOffset.UtcNow, duration: 7));
        Assert.True(status.IsSuccessStatusCode, $"HTTP {(int)status.StatusCode}");

        // The health report (shown in the dashboard) says it died and was started again.
        var back = await notifications.WaitForResourceAsync("postgres",
            e => e.Snapshot.HealthStatus == HealthStatus.Healthy && Restarts(e) > restartsBefore, timeout.Token);
        Assert.Equal(KnownResourceStates.Running, back.Snapshot.State?.Text);
        Assert.Contains("exit code 137", back.Snapshot.HealthReports.Single().Description);
        Assert.NotEqual(killed, system.PostmasterPid());

        for (var attempt = 0; attempt < 120; attempt++)
        {
            try
            {
                if (await Seed.ScalarAsync<long>(system.AdminConnectionString, $"SELECT count(*) FROM call_logs WHERE call_sid = '{callSid}'") == 1)
                {
                    return;
                }
            }
            catch (Npgsql.NpgsqlException)
            {
                // still starting
            }
            await Task.Delay(500, timeout.Token);
        }
        Assert.Fail($"The spooled callback for {callSid} never reached the database. Spool: {SpoolListing()}");
    }

    /// <summary>What the webhook service left in its spool, so a failure says where the callback stopped.</summary>
    private string SpoolListing()
    {
        var spool = Path.Combine(system.StateDirectory, "webhook-spool");
        return Directory.Exists(spool)
            ? string.Join(", ", Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(spool, f))) is { Length: > 0 } files ? files : "empty"
            : "no folder " + spool;
    }

    private static int Restarts(ResourceNotificationService notifications) =>
        notifications.TryGetCurrentState("postgres", out var current) ? Restarts(current!) : 0;

    private static int Restarts(ResourceEvent resource) =>
        resource.Snapshot.HealthReports.Select(r => r.Description ?? "")
            .Select(d => System.Text.RegularExpressions.Regex.Match(d, @"started again (\d+) time"))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).FirstOrDefault();
}
