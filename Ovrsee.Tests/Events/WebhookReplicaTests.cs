using Ovrsee.Hosting.Services;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using static Ovrsee.Tests.Events.WebhookApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>Two WebhookApi replicas on one database, both fanning out and sending.</summary>
public class TwoWebhookReplicasFixture : OutboundWebhooksFixture
{
    public ServiceProcess Second { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Second = await StartServiceAsync(Database.ServiceConnectionString, ExtraSettings);
    }

    public override async Task DisposeAsync()
    {
        await Second.DisposeAsync();
        await base.DisposeAsync();
    }
}

[Trait("Category", "Slow")]
public class WebhookReplicaTests(TwoWebhookReplicasFixture api) : IClassFixture<TwoWebhookReplicasFixture>
{
    [Fact]
    public async Task With_two_replicas_each_event_gets_one_delivery_per_endpoint_and_is_sent_once()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var first = await WebhookReceiver.StartAsync();
        await using var second = await WebhookReceiver.StartAsync();
        var (endpointA, secretA) = await CreateEndpointAsync(api.Http, owner, first.Url);
        var (endpointB, _) = await CreateEndpointAsync(api.Http, owner, second.Url);

        var events = new List<Guid>();
        var calls = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            var callSid = Seed.NewCallSid();
            var call = await Seed.CallAsync(api.Admin, workspace, callSid);
            calls.Add(call);
            events.AddRange(await InsertCallEventsAsync(api.Admin, workspace, call, callSid));
        }

        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ANY ($1) AND status = 'delivered'", new[] { endpointA, endpointB }) == 2 * events.Count,
            TimeSpan.FromSeconds(60)));
        foreach (var receiver in new[] { first, second })
        {
            // Healthy receivers, so no claim expired: one request per event, in per-call order.
            Assert.Equal(events.Select(e => e.ToString()).Order(), receiver.Received.Select(r => r.Id).Order());
            foreach (var call in calls)
            {
                var sequences = receiver.Received.Where(r => r.Json.GetProperty("callId").GetString() == call.ToString())
                    .Select(r => r.Json.GetProperty("sequence").GetInt32());
                Assert.Equal([1, 2, 3, 4], sequences);
            }
        }
        Assert.All(first.Received, r => Assert.True(IndependentWebhookVerifier.Verifies(secretA, r)));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin,
            "SELECT max(n) FROM (SELECT count(*) AS n FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1 GROUP BY d.id) per_delivery", endpointA));
    }
}
