using System.Net;
using System.Text.Json;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using static Ovrsee.Tests.Events.WebhookApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>A WebhookApi with production's endpoint URL rules (https only, public addresses) and a one-second retry window.</summary>
public class ProductionWebhookRulesFixture : OutboundWebhooksFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings)
    {
        ["OutboundWebhooks__AllowInsecureUrls"] = "false",
        ["OutboundWebhooks__AllowPrivateAddresses"] = "false",
        ["OutboundWebhooks__RetryWindow"] = "00:00:01",
    };
}

/// <summary>Endpoint URLs follow the agent URLs' SSRF rules, when registered and again on the address actually dialled.</summary>
[Trait("Category", "Slow")]
public class WebhookUrlRulesTests(ProductionWebhookRulesFixture api) : IClassFixture<ProductionWebhookRulesFixture>
{
    private HttpClient Http => api.Http;

    [Theory]
    [InlineData("http://hooks.example.com/ovrsee", "url-not-tls")]
    [InlineData("https://10.0.0.5/hooks", "address-not-allowed")]
    [InlineData("https://169.254.169.254/latest/meta-data", "address-not-allowed")]
    [InlineData("https://127.0.0.1:8443/hooks", "address-not-allowed")]
    [InlineData("https://[::1]/hooks", "address-not-allowed")]
    [InlineData("https://[::ffff:192.168.1.1]/hooks", "address-not-allowed")]
    [InlineData("wss://hooks.example.com/ovrsee", "url-scheme-not-allowed")]
    public async Task Outside_development_an_endpoint_must_be_https_on_a_public_address(string url, string reason)
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);

        var response = await SendAsync(Http, HttpMethod.Post, EndpointsPath, owner, new { url });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_endpoints WHERE workspace_id = $1", workspace));
    }

    [Fact]
    public async Task A_public_https_endpoint_is_accepted_and_cannot_be_patched_to_a_private_one()
    {
        var (_, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        var (id, _) = await CreateEndpointAsync(Http, owner, new Uri("https://Hooks.Example.com/ovrsee?tenant=1"));

        var response = await SendAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{id}", owner, new { url = "https://192.168.0.10/hooks" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://hooks.example.com/ovrsee?tenant=1", (await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}", owner)).GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_host_name_that_resolves_to_a_private_address_is_refused_when_dialled_and_the_delivery_dies_after_the_retry_window()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        // A name, not an address: it passes registration, and resolves to loopback (as a rebinding
        // DNS name would after the check).
        var (endpoint, _) = await CreateEndpointAsync(Http, owner, new Uri("https://localhost:9/hooks"));
        var eventId = await InsertEventAsync(api.Admin, workspace, "call.completed");

        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, eventId) == "dead"));
        var deliveryId = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM webhook_deliveries WHERE event_id = $1", eventId);
        var detail = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{endpoint}/deliveries/{deliveryId}", owner);
        var attempts = detail.GetProperty("attempts").EnumerateArray().ToList();
        Assert.NotEmpty(attempts);
        Assert.All(attempts, a =>
        {
            Assert.Equal(JsonValueKind.Null, a.GetProperty("statusCode").ValueKind);
            Assert.StartsWith("address-not-allowed", a.GetProperty("error").GetString());
        });
        Assert.Equal("dead", detail.GetProperty("delivery").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("delivery").GetProperty("nextAttemptAt").ValueKind);
        Assert.Equal(attempts.Count, detail.GetProperty("delivery").GetProperty("attemptCount").GetInt32());
    }
}
