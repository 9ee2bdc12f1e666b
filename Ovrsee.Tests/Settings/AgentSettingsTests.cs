using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Settings;

/// <summary>A WebhookApi with production's agent URL rules (not Development's local allowances).</summary>
public class ProductionAgentRulesFixture : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["AlohaStream__AllowInsecureAgentUrls"] = "false",
        ["AlohaStream__AllowPrivateAgentAddresses"] = "false",
    };
}

/// <summary>GET/PUT /api/aloha/settings/agent: members see the workspace's agent, owners and admins set it, under the stream's URL rules.</summary>
[Trait("Category", "Slow")]
public class AgentSettingsTests(ProductionAgentRulesFixture api) : IClassFixture<ProductionAgentRulesFixture>
{
    private const string Path = "/api/aloha/settings/agent";
    private HttpClient Http => api.Twilio.Http;

    [Fact]
    public async Task An_owner_sets_each_kind_members_see_it_and_the_next_call_follows_it()
    {
        var (workspace, member, number) = await Seed.MemberWithNumberAsync(api.Admin);
        var owner = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, owner, "owner");

        var initial = await JsonAsync(await GetAsync(Http, Path, TokenFor(member)));
        Assert.Equal("none", initial.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("url").ValueKind);
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("updatedAt").ValueKind);
        Assert.Equal("Say,Record,Hangup", await IncomingCallVerbsAsync(number));

        // Scheme and host are stored as the stream will dial them.
        var external = await JsonAsync(await PutAsync(TokenFor(owner), new { kind = "external", url = "WSS://Agent.Example.com/aloha?tenant=7" }));
        Assert.Equal("wss://agent.example.com/aloha?tenant=7", external.GetProperty("url").GetString());
        var seen = await JsonAsync(await GetAsync(Http, Path, TokenFor(member)));
        Assert.Equal("external", seen.GetProperty("kind").GetString());
        Assert.Equal("wss://agent.example.com/aloha?tenant=7", seen.GetProperty("url").GetString());
        Assert.True(seen.GetProperty("updatedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal("wss://agent.example.com/aloha?tenant=7", await Seed.ScalarAsync<string>(api.Admin, "SELECT agent_stream_url FROM workspaces WHERE id = $1", workspace));
        Assert.Equal("Connect", await IncomingCallVerbsAsync(number));

        var builtIn = await JsonAsync(await PutAsync(TokenFor(owner), new { kind = "builtin" }));
        Assert.Equal("builtin", builtIn.GetProperty("kind").GetString());
        Assert.Equal("builtin", (await JsonAsync(await GetAsync(Http, Path, TokenFor(member)))).GetProperty("kind").GetString());
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT agent_stream_url FROM workspaces WHERE id = $1", workspace));
        Assert.Equal("Connect", await IncomingCallVerbsAsync(number));

        var admin = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, admin, "admin");
        await JsonAsync(await PutAsync(TokenFor(admin), new { kind = "none" }));
        Assert.Equal("none", (await JsonAsync(await GetAsync(Http, Path, TokenFor(member)))).GetProperty("kind").GetString());
        Assert.Equal("Say,Record,Hangup", await IncomingCallVerbsAsync(number));
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { """{"kind":"external","url":"https://agent.example.com/aloha"}""", "url", "url-scheme-not-allowed" },
        { """{"kind":"external","url":"ws://agent.example.com/aloha"}""", "url", "url-not-tls" },
        { """{"kind":"external","url":"wss://user:secret@agent.example.com/aloha"}""", "url", "url-has-credentials" },
        { """{"kind":"external","url":"wss://169.254.169.254/latest/meta-data"}""", "url", "address-not-allowed" },
        { """{"kind":"external","url":"wss://10.0.0.5/aloha"}""", "url", "address-not-allowed" },
        { """{"kind":"external","url":"wss://[::1]:5180/aloha"}""", "url", "address-not-allowed" },
        { """{"kind":"external","url":"wss://[::ffff:127.0.0.1]/aloha"}""", "url", "address-not-allowed" },
        { """{"kind":"external","url":"agent.example.com"}""", "url", "url-invalid" },
        { """{"kind":"external"}""", "url", "url-missing" },
        { $$"""{"kind":"external","url":"wss://agent.example.com/{{new string('a', 2100)}}"}""", "url", "url-too-long" },
        { """{"kind":"builtin","url":"wss://agent.example.com/aloha"}""", "url", "url-not-expected" },
        { """{"kind":"robot"}""", "kind", "kind-invalid" },
        { """{}""", "kind", "kind-invalid" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_refused_agent_is_400_problem_details_naming_the_field_and_nothing_changes(string body, string field, string reason)
    {
        var (workspace, _, _) = await Seed.MemberWithNumberAsync(api.Admin);
        var owner = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, owner, "owner");
        await JsonAsync(await PutAsync(TokenFor(owner), new { kind = "external", url = "wss://agent.example.com/kept" }));

        var response = await PutAsync(TokenFor(owner), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
        Assert.NotEmpty(problem.GetProperty("errors").GetProperty(field).EnumerateArray().First().GetString()!);
        Assert.Equal("wss://agent.example.com/kept", await Seed.ScalarAsync<string>(api.Admin, "SELECT agent_stream_url FROM workspaces WHERE id = $1", workspace));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"kind":5}""")]
    public async Task A_body_that_is_not_the_settings_is_400_not_500(string body)
    {
        var (workspace, _, _) = await Seed.MemberWithNumberAsync(api.Admin);
        var owner = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, owner, "owner");

        var response = await PutAsync(TokenFor(owner), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_member_cannot_set_the_agent()
    {
        var (workspace, member, number) = await Seed.MemberWithNumberAsync(api.Admin);

        var response = await PutAsync(TokenFor(member), new { kind = "external", url = "wss://attacker.example.com/listen" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT agent_stream_url FROM workspaces WHERE id = $1", workspace));
        Assert.Null(await Seed.ScalarAsync<DateTime?>(api.Admin, "SELECT agent_updated_at FROM workspaces WHERE id = $1", workspace));
        Assert.Equal("Say,Record,Hangup", await IncomingCallVerbsAsync(number));
        Assert.Equal(HttpStatusCode.Unauthorized, (await PutAsync(null, new { kind = "builtin" })).StatusCode);
    }

    [Fact]
    public async Task One_workspaces_owner_neither_sees_nor_sets_anothers_agent()
    {
        var (a, _, _) = await Seed.MemberWithNumberAsync(api.Admin);
        var (b, memberB, numberB) = await Seed.MemberWithNumberAsync(api.Admin);
        var ownerA = Guid.NewGuid();
        var ownerB = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, a, ownerA, "owner");
        await Seed.MemberAsync(api.Admin, b, ownerB, "owner");
        await JsonAsync(await PutAsync(TokenFor(ownerB), new { kind = "external", url = "wss://agent-b.example.com/aloha" }));

        // A's owner sets A's agent: B's is untouched.
        await JsonAsync(await PutAsync(TokenFor(ownerA), new { kind = "external", url = "wss://agent-a.example.com/aloha" }));
        Assert.Equal("wss://agent-b.example.com/aloha", (await JsonAsync(await GetAsync(Http, Path, TokenFor(memberB)))).GetProperty("url").GetString());

        // Naming B's workspace gets A's owner a 403 both ways, and nothing changes.
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(Http, Path, TokenFor(ownerA), b)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(TokenFor(ownerA), new { kind = "none" }, b)).StatusCode);
        Assert.Equal("wss://agent-b.example.com/aloha", await Seed.ScalarAsync<string>(api.Admin, "SELECT agent_stream_url FROM workspaces WHERE id = $1", b));
        Assert.Equal("wss://agent-a.example.com/aloha", await Seed.ScalarAsync<string>(api.Admin, "SELECT agent_stream_url FROM workspaces WHERE id = $1", a));
        Assert.Equal("Connect", await IncomingCallVerbsAsync(numberB));
    }

    private async Task<HttpResponseMessage> PutAsync(string? token, object body, Guid? workspace = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Path)
        {
            Content = body as HttpContent ?? JsonContent.Create(body),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (workspace is not null)
        {
            request.Headers.Add("X-Workspace-Id", workspace.ToString());
        }
        return await Http.SendAsync(request);
    }

    /// <summary>The verbs of the TwiML a new call to the number gets.</summary>
    private async Task<string> IncomingCallVerbsAsync(string number)
    {
        var response = await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", number));
        var twiml = System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync());
        return string.Join(",", twiml.Root!.Elements().Select(e => e.Name.LocalName));
    }
}
