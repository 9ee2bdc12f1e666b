using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using static Ovrsee.Tests.Events.WebhookApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>Auto-disable shrunk to three failures spanning a second (production: 20 over three days).</summary>
public class AutoDisableFixture : OutboundWebhooksFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings)
    {
        ["OutboundWebhooks__AutoDisableAfterFailures"] = "3",
        ["OutboundWebhooks__AutoDisableAfterFailingFor"] = "00:00:01",
    };
}

[Trait("Category", "Slow")]
public class WebhookAutoDisableTests(AutoDisableFixture api) : IClassFixture<AutoDisableFixture>
{
    private HttpClient Http => api.Http;

    [Fact]
    public async Task An_endpoint_failing_long_enough_is_disabled_with_the_reason_and_re_enabling_resumes_delivery()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.AlwaysAnswer(500);
        var (endpoint, _) = await CreateEndpointAsync(Http, owner, receiver.Url);
        var failing = await InsertEventAsync(api.Admin, workspace, "call.ringing");

        Assert.True(await Eventually.TrueAsync(async () => !await Seed.ScalarAsync<bool>(api.Admin, "SELECT enabled FROM webhook_endpoints WHERE id = $1", endpoint)));
        var disabled = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{endpoint}", owner);
        var reason = disabled.GetProperty("disabledReason").GetString()!;
        Assert.StartsWith("Disabled automatically after", reason);
        Assert.Contains("HTTP 500", reason);
        Assert.True(disabled.GetProperty("consecutiveFailures").GetInt32() >= 3);
        var failingSince = disabled.GetProperty("failingSince").GetDateTimeOffset();
        Assert.True(disabled.GetProperty("disabledAt").GetDateTimeOffset() - failingSince >= TimeSpan.FromSeconds(1));
        Assert.Equal("failed", await DeliveryStatusAsync(api.Admin, endpoint, failing));

        // While disabled, new events are not queued for it.
        var whileDisabled = await InsertEventAsync(api.Admin, workspace, "call.answered");
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<bool>(api.Admin,
            "SELECT (c.tx_id, c.position) >= (e.tx_id, e.position) FROM webhook_dispatch_cursor c, domain_events e WHERE e.id = $1", whileDisabled)));
        Assert.Null(await DeliveryStatusAsync(api.Admin, endpoint, whileDisabled));

        // Fixed and re-enabled: the reason and the streak are cleared, the waiting delivery goes out.
        receiver.AlwaysAnswer(200);
        var enabled = await JsonAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{endpoint}", owner, new { enabled = true });
        Assert.True(enabled.GetProperty("enabled").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, enabled.GetProperty("disabledReason").ValueKind);
        Assert.Equal(0, enabled.GetProperty("consecutiveFailures").GetInt32());
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, failing) == "delivered"));
        var after = await InsertEventAsync(api.Admin, workspace, "call.completed");
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, after) == "delivered"));
    }
}
