using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Ovrsee.Hosting;
using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using static Ovrsee.Tests.Events.WebhookApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>The simulator's receive-webhooks endpoint verifies what the real service sends, refuses forgeries and spots duplicates.</summary>
[Trait("Category", "Slow")]
public class SimulatorWebhookReceiverTests(OutboundWebhooksFixture api) : IClassFixture<OutboundWebhooksFixture>
{
    [Fact]
    public async Task The_simulators_receiver_verifies_and_prints_each_event_and_rejects_a_forged_one()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        var port = LoopbackPort.Free();
        var url = new Uri($"http://127.0.0.1:{port}/hooks");
        var (endpoint, secret) = await CreateEndpointAsync(api.Http, owner, url);
        var lines = new ConcurrentQueue<string>();
        await using var server = WebhookReceiverServer.Start(port, [secret], lines.Enqueue);

        var ringing = await InsertEventAsync(api.Admin, workspace, "call.ringing", data: """{"callSid":"CA1","from":"+14155550100"}""");
        var completed = await InsertEventAsync(api.Admin, workspace, "call.completed");
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, completed) == "delivered"
                                                      && await DeliveryStatusAsync(api.Admin, endpoint, ringing) == "delivered"));
        Assert.Equal(2, server.Verified);
        Assert.Contains(lines, l => l.StartsWith($"verified call.ringing {ringing}", StringComparison.Ordinal) && l.Contains("CA1"));
        Assert.Contains(lines, l => l.StartsWith($"verified call.completed {completed}", StringComparison.Ordinal));

        // A re-send arrives with the same webhook-id: verified, and recognised as a duplicate.
        var deliveryId = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM webhook_deliveries WHERE event_id = $1", ringing);
        await JsonAsync(api.Http, HttpMethod.Post, $"{EndpointsPath}/{endpoint}/deliveries/{deliveryId}/resend", owner);
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(lines.Any(l => l.Contains("duplicate #2")))));
        Assert.Equal(2, server.DistinctEvents);

        // Someone without the secret.
        using var http = new HttpClient();
        var forged = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("""{"type":"call.completed"}""", Encoding.UTF8, "application/json") };
        forged.Headers.Add("webhook-id", Guid.NewGuid().ToString());
        forged.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString());
        forged.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(new byte[32]));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(forged)).StatusCode);
        Assert.Equal(1, server.Rejected);
    }

    [Fact]
    public void A_signature_verifies_only_with_its_secret_and_a_fresh_timestamp()
    {
        var secret = "whsec_" + Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString();
        var signature = IndependentWebhookVerifier.Signature(secret, "msg_1", timestamp, "{}");

        Assert.True(WebhookReceiverServer.Verify([secret], "msg_1", timestamp, "{}", "v1,bogus " + signature, now));
        Assert.False(WebhookReceiverServer.Verify([secret], "msg_2", timestamp, "{}", signature, now));
        Assert.False(WebhookReceiverServer.Verify([secret], "msg_1", timestamp, "{ }", signature, now));
        Assert.False(WebhookReceiverServer.Verify(["whsec_" + Convert.ToBase64String(new byte[32])], "msg_1", timestamp, "{}", signature, now));
        Assert.False(WebhookReceiverServer.Verify([secret], "msg_1", timestamp, "{}", signature, now.AddMinutes(6)));
    }
}
