using System.Net;
using System.Xml.Linq;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Hosting.Services;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

/// <summary>PostgreSQL stops mid-call: the caller still gets TwiML and every callback lands exactly once after it returns.</summary>
[Trait("Category", "Slow")]
public class DatabaseOutageTests
{
    [Fact]
    public async Task Webhooks_received_while_PostgreSQL_is_down_are_stored_exactly_once_after_it_returns()
    {
        await using var postgres = await LocalPostgresServer.StartAsync(new LocalPostgresOptions { RootDirectory = TestPostgres.NewRootDirectory("outage"), Ephemeral = true });
        await postgres.PrepareDatabaseAsync("ovrsee");
        var admin = postgres.AdminConnectionString("ovrsee");
        var workspace = await Seed.WorkspaceAsync(admin);
        const string to = "+14155550142", from = "+14155550100";
        await Seed.PhoneNumberAsync(admin, workspace, to);
        await using ServiceProcess service = await WebhookApiFixture.StartServiceAsync(postgres.ServiceConnectionString("ovrsee"), new Dictionary<string, string?>());
        using var twilio = new TwilioWebhookClient(service.HttpEndpoint, TestServiceEnvironment.AuthToken);

        var before = Seed.NewCallSid();
        var during = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-5);
        await twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(before, from, to));

        await postgres.StopAsync();

        var incoming = await twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(during, from, to));
        Assert.Equal(HttpStatusCode.OK, incoming.StatusCode);
        Assert.NotNull(XDocument.Parse(await incoming.Content.ReadAsStringAsync()).Root!.Element("Record"));
        var sent = new[]
        {
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(before, from, to, "completed", 3, t0.AddSeconds(40), duration: 38)),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(during, from, to, "in-progress", 2, t0.AddSeconds(60))),
            ("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(during, recordingSid)),
            // Twilio retries when it thinks we failed: the same callback twice.
            ("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(during, recordingSid)),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(during, from, to, "completed", 3, t0.AddSeconds(90), duration: 30)),
        };
        foreach (var (path, form) in sent)
        {
            var response = await twilio.PostAsync(path, form);
            Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode} while PostgreSQL was down");
        }

        await postgres.RestartAsync();

        var stored = false;
        for (var i = 0; i < 100 && !stored; i++)
        {
            await Task.Delay(200);
            stored = await Seed.ScalarAsync<string>(admin, "SELECT status FROM call_logs WHERE call_sid = $1", during) == "completed"
                  && await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM voicemail_messages WHERE call_sid = $1", during) == 1
                  && await Seed.ScalarAsync<string>(admin, "SELECT status FROM call_logs WHERE call_sid = $1", before) == "completed";
        }

        Assert.True(stored, "the spooled webhooks never reached PostgreSQL");
        Assert.Equal(workspace, await Seed.ScalarAsync<Guid>(admin, "SELECT workspace_id FROM call_logs WHERE call_sid = $1", during));
        Assert.Equal(30, await Seed.ScalarAsync<int>(admin, "SELECT duration_seconds FROM call_logs WHERE call_sid = $1", during));
        Assert.Equal(4L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM call_events WHERE call_sid = $1", during));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM jobs"));
        Assert.Equal(2L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM call_logs"));
    }
}
