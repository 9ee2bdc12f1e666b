using System.Net;
using System.Text.Json;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Events.WebhookApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>/api/aloha/webhook-endpoints: owners and admins manage a workspace's endpoints; nobody else sees them.</summary>
[Trait("Category", "Slow")]
public class WebhookEndpointsApiTests(OutboundWebhooksFixture api) : IClassFixture<OutboundWebhooksFixture>
{
    private HttpClient Http => api.Http;

    [Fact]
    public async Task An_owner_creates_reads_updates_and_deletes_an_endpoint_and_sees_the_secret_only_once()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);

        var response = await SendAsync(Http, HttpMethod.Post, EndpointsPath, owner, new { url = "http://127.0.0.1:9/hooks", eventTypes = new[] { "call.completed", "call.ringing", "call.completed" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"{EndpointsPath}/{id}", response.Headers.Location?.OriginalString);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.Equal(["call.completed", "call.ringing"], created.GetProperty("eventTypes").EnumerateArray().Select(e => e.GetString()));
        Assert.True(created.GetProperty("enabled").GetBoolean());
        Assert.Equal(secret, await Seed.ScalarAsync<string>(api.Admin, "SELECT secret FROM webhook_endpoints WHERE id = $1 AND workspace_id = $2", id, workspace));

        var listed = await JsonAsync(Http, HttpMethod.Get, EndpointsPath, owner);
        var only = Assert.Single(listed.EnumerateArray());
        Assert.Equal(id, only.GetProperty("id").GetGuid());
        Assert.False(only.TryGetProperty("secret", out _));
        var one = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}", owner);
        Assert.Equal("http://127.0.0.1:9/hooks", one.GetProperty("url").GetString());
        Assert.False(one.TryGetProperty("secret", out _));

        var disabled = await JsonAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{id}", owner, new { enabled = false, eventTypes = Array.Empty<string>() });
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        Assert.Contains(owner.ToString(), disabled.GetProperty("disabledReason").GetString());
        Assert.Empty(disabled.GetProperty("eventTypes").EnumerateArray());
        Assert.Equal("http://127.0.0.1:9/hooks", disabled.GetProperty("url").GetString());

        var enabled = await JsonAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{id}", owner, new { enabled = true, url = "http://localhost:9/other" });
        Assert.True(enabled.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, enabled.GetProperty("disabledReason").ValueKind);
        Assert.Equal(JsonValueKind.Null, enabled.GetProperty("disabledAt").ValueKind);
        Assert.Equal("http://localhost:9/other", enabled.GetProperty("url").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(Http, HttpMethod.Delete, $"{EndpointsPath}/{id}", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Http, HttpMethod.Delete, $"{EndpointsPath}/{id}", owner)).StatusCode);
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_endpoints WHERE workspace_id = $1", workspace));
    }

    [Fact]
    public async Task Admins_manage_endpoints_and_members_get_403_on_every_route()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        var admin = Guid.NewGuid();
        var member = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, admin, "admin");
        await Seed.MemberAsync(api.Admin, workspace, member, "member");
        var (id, _) = await CreateEndpointAsync(Http, admin, new Uri("http://127.0.0.1:9/hooks"));

        var deliveryId = Guid.NewGuid();
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, EndpointsPath), (HttpMethod.Post, EndpointsPath), (HttpMethod.Get, $"{EndpointsPath}/{id}"), (HttpMethod.Patch, $"{EndpointsPath}/{id}"),
            (HttpMethod.Delete, $"{EndpointsPath}/{id}"), (HttpMethod.Post, $"{EndpointsPath}/{id}/rotate-secret"), (HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries"),
            (HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries/{deliveryId}"), (HttpMethod.Post, $"{EndpointsPath}/{id}/deliveries/{deliveryId}/resend"),
        })
        {
            var response = await SendAsync(Http, method, path, member, method == HttpMethod.Get || method == HttpMethod.Delete ? null : new { url = "http://127.0.0.1:9/x", enabled = false });
            Assert.True(HttpStatusCode.Forbidden == response.StatusCode, $"{method} {path}: {(int)response.StatusCode}");
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync(EndpointsPath)).StatusCode);
        // The member's attempts changed nothing.
        Assert.True(await Seed.ScalarAsync<bool>(api.Admin, "SELECT enabled FROM webhook_endpoints WHERE id = $1", id));
        Assert.Single((await JsonAsync(Http, HttpMethod.Get, EndpointsPath, owner)).EnumerateArray());
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { """{"url":"http://127.0.0.1:9/hooks","eventTypes":["call.exploded"]}""", "eventTypes", "event-type-unknown" },
        { """{"url":"http://127.0.0.1:9/hooks","eventTypes":[null]}""", "eventTypes", "event-type-unknown" },
        { """{"url":"ftp://example.com/hooks"}""", "url", "url-scheme-not-allowed" },
        { """{"url":"example.com/hooks"}""", "url", "url-invalid" },
        { """{"url":"https://user:pw@example.com/hooks"}""", "url", "url-has-credentials" },
        { """{"url":"https://example.com/hooks#x"}""", "url", "url-has-fragment" },
        { $$"""{"url":"https://example.com/{{new string('a', 2100)}}"}""", "url", "url-too-long" },
        { """{"eventTypes":[]}""", "url", "url-missing" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_refused_endpoint_is_400_problem_details_naming_the_field_and_nothing_is_stored(string body, string field, string reason)
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);

        var response = await SendAsync(Http, HttpMethod.Post, EndpointsPath, owner, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
        Assert.NotEmpty(problem.GetProperty("errors").GetProperty(field).EnumerateArray().First().GetString()!);
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_endpoints WHERE workspace_id = $1", workspace));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"url":5}""")]
    [InlineData("""{"url":"http://127.0.0.1:9/","enabled":"yes"}""")]
    public async Task A_body_that_is_not_an_endpoint_is_400_not_500(string body)
    {
        var (_, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        var (id, _) = await CreateEndpointAsync(Http, owner, new Uri("http://127.0.0.1:9/hooks"));

        foreach (var (method, path) in new[] { (HttpMethod.Post, EndpointsPath), (HttpMethod.Patch, $"{EndpointsPath}/{id}") })
        {
            var response = await SendAsync(Http, method, path, owner, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_bad_patch_or_id_is_400_and_changes_nothing()
    {
        var (_, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        var (id, _) = await CreateEndpointAsync(Http, owner, new Uri("http://127.0.0.1:9/hooks"), ["call.ringing"]);

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{id}", owner, new { eventTypes = new[] { "nope" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{id}", owner, new { url = "gopher://x" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/not-a-uuid", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries?limit=0", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries?status=lost", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries?cursor=abc", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries/xyz", owner)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries/{Guid.NewGuid()}", owner)).StatusCode);

        var kept = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}", owner);
        Assert.Equal("http://127.0.0.1:9/hooks", kept.GetProperty("url").GetString());
        Assert.Equal(["call.ringing"], kept.GetProperty("eventTypes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Another_workspace_cannot_see_change_rotate_or_delete_an_endpoint()
    {
        var (workspaceA, ownerA) = await WorkspaceWithOwnerAsync(api.Admin);
        var (_, ownerB) = await WorkspaceWithOwnerAsync(api.Admin);
        var (id, secret) = await CreateEndpointAsync(Http, ownerA, new Uri("http://127.0.0.1:9/hooks"));
        await CreateEndpointAsync(Http, ownerB, new Uri("http://127.0.0.1:9/b"));

        var listB = await JsonAsync(Http, HttpMethod.Get, EndpointsPath, ownerB);
        Assert.DoesNotContain(listB.EnumerateArray(), e => e.GetProperty("id").GetGuid() == id);
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, $"{EndpointsPath}/{id}"), (HttpMethod.Patch, $"{EndpointsPath}/{id}"), (HttpMethod.Delete, $"{EndpointsPath}/{id}"),
            (HttpMethod.Post, $"{EndpointsPath}/{id}/rotate-secret"), (HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries"),
        })
        {
            var response = await SendAsync(Http, method, path, ownerB, method == HttpMethod.Patch ? new { enabled = false, url = "http://127.0.0.1:9/stolen" } : null);
            Assert.True(HttpStatusCode.NotFound == response.StatusCode, $"{method} {path}: {(int)response.StatusCode}");
        }
        // B naming A's workspace is refused outright.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(Http, HttpMethod.Get, EndpointsPath, ownerB, workspace: workspaceA)).StatusCode);

        var kept = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}", ownerA);
        Assert.True(kept.GetProperty("enabled").GetBoolean());
        Assert.Equal("http://127.0.0.1:9/hooks", kept.GetProperty("url").GetString());
        Assert.Equal(secret, await Seed.ScalarAsync<string>(api.Admin, "SELECT secret FROM webhook_endpoints WHERE id = $1", id));
    }

    [Fact]
    public async Task The_delivery_log_pages_newest_first_and_filters_by_status()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (id, _) = await CreateEndpointAsync(Http, owner, receiver.Url);
        var events = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            events.Add(await InsertEventAsync(api.Admin, workspace, "call.ringing"));
        }
        Assert.True(await Voicemail.Eventually.TrueAsync(async () =>
            await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", id) == 5));

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"), owner);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 2);
            foreach (var item in items)
            {
                seen.Add(item.GetProperty("eventId").GetGuid());
                Assert.Equal("delivered", item.GetProperty("status").GetString());
                Assert.Equal(1, item.GetProperty("attemptCount").GetInt32());
                Assert.Equal(200, item.GetProperty("lastStatusCode").GetInt32());
                Assert.Equal("call.ringing", item.GetProperty("eventType").GetString());
                Assert.True(item.GetProperty("lastLatencyMs").GetInt32() >= 0);
                Assert.Equal(JsonValueKind.Null, item.GetProperty("nextAttemptAt").ValueKind);
            }
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Reverse(events), seen);

        Assert.Empty((await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries?status=failed,dead", owner)).GetProperty("items").EnumerateArray());
        Assert.Equal(5, (await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{id}/deliveries?status=delivered", owner)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_openapi_document_describes_every_webhook_endpoint_route()
    {
        var response = await Http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("paths");

        foreach (var (path, method) in new[]
        {
            (EndpointsPath, "post"), (EndpointsPath, "get"), ($"{EndpointsPath}/{{id}}", "get"), ($"{EndpointsPath}/{{id}}", "patch"),
            ($"{EndpointsPath}/{{id}}", "delete"), ($"{EndpointsPath}/{{id}}/rotate-secret", "post"), ($"{EndpointsPath}/{{id}}/deliveries", "get"),
            ($"{EndpointsPath}/{{id}}/deliveries/{{deliveryId}}", "get"), ($"{EndpointsPath}/{{id}}/deliveries/{{deliveryId}}/resend", "post"),
        })
        {
            var operation = paths.GetProperty(path).GetProperty(method);
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{method} {path}");
        }
        var log = paths.GetProperty($"{EndpointsPath}/{{id}}/deliveries").GetProperty("get");
        Assert.Superset(new HashSet<string?> { "status", "limit", "cursor" },
            log.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToHashSet());
    }
}
