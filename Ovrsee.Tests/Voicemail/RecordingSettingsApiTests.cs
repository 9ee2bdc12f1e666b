using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Voicemail;

/// <summary>
/// GET/PUT /api/aloha/settings/recordings through the real WebhookApi and PostgreSQL: every member
/// reads, only owners and admins change, bad input is a 400 naming the field, one workspace's
/// settings never touch another's. Asserted on the workspaces rows.
/// </summary>
[Trait("Category", "Slow")]
public class RecordingSettingsApiTests(WebhookApiFixture service) : IClassFixture<WebhookApiFixture>
{
    private const string Path = "/api/aloha/settings/recordings";

    [Fact]
    public async Task A_member_reads_the_defaults_keep_and_no_deletion()
    {
        var (workspace, member) = await WorkspaceWithAsync("member");

        var settings = await CallsApiClient.JsonAsync(await SendAsync(HttpMethod.Get, member, workspace));

        Assert.Equal(JsonValueKind.Null, settings.GetProperty("retentionDays").ValueKind);
        Assert.False(settings.GetProperty("deleteTwilioCopy").GetBoolean());
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    public async Task An_owner_or_admin_sets_them_and_every_member_reads_them_back(string role)
    {
        var (workspace, manager) = await WorkspaceWithAsync(role);
        var member = Guid.NewGuid();
        await Seed.MemberAsync(service.Admin, workspace, member);

        var put = await CallsApiClient.JsonAsync(await SendAsync(HttpMethod.Put, manager, workspace, """{"retentionDays": 30, "deleteTwilioCopy": true}"""));
        Assert.Equal(30, put.GetProperty("retentionDays").GetInt32());
        Assert.Equal((30, true), await StoredAsync(workspace));
        var read = await CallsApiClient.JsonAsync(await SendAsync(HttpMethod.Get, member, workspace));
        Assert.Equal(30, read.GetProperty("retentionDays").GetInt32());
        Assert.True(read.GetProperty("deleteTwilioCopy").GetBoolean());

        // Null goes back to keeping recordings.
        await CallsApiClient.JsonAsync(await SendAsync(HttpMethod.Put, manager, workspace, """{"retentionDays": null, "deleteTwilioCopy": false}"""));
        Assert.Equal((null, false), await StoredAsync(workspace));
    }

    [Fact]
    public async Task A_member_cannot_change_them_and_nothing_is_stored()
    {
        var (workspace, member) = await WorkspaceWithAsync("member");

        var response = await SendAsync(HttpMethod.Put, member, workspace, """{"retentionDays": 1, "deleteTwilioCopy": true}""");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal((null, false), await StoredAsync(workspace));
    }

    [Fact]
    public async Task Without_a_token_it_is_401()
    {
        var (workspace, _) = await WorkspaceWithAsync("owner");
        using var http = new HttpClient { BaseAddress = service.Service.HttpEndpoint };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(Path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PutAsync(Path, Json("""{"retentionDays": 1, "deleteTwilioCopy": true}"""))).StatusCode);
        Assert.Equal((null, false), await StoredAsync(workspace));
    }

    [Theory]
    [InlineData("""{"retentionDays": 0, "deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"retentionDays": 3651, "deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"retentionDays": -5, "deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"retentionDays": 1.5, "deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"retentionDays": "30", "deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"retentionDays": 99999999999, "deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"deleteTwilioCopy": false}""", "retentionDays")]
    [InlineData("""{"retentionDays": 30}""", "deleteTwilioCopy")]
    [InlineData("""{"retentionDays": 30, "deleteTwilioCopy": "yes"}""", "deleteTwilioCopy")]
    [InlineData("""{"retentionDays": 30, "deleteTwilioCopy": null}""", "deleteTwilioCopy")]
    [InlineData("""{"retentionDays": 30, "deleteTwilioCopy": tru""", "body")]
    [InlineData("""[30, true]""", "body")]
    [InlineData("""not json""", "body")]
    [InlineData("", "body")]
    public async Task Bad_input_is_a_400_problem_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var (workspace, owner) = await WorkspaceWithAsync("owner");
        await Seed.ExecuteAsync(service.Admin, "UPDATE workspaces SET recording_retention_days = 90 WHERE id = $1", workspace);

        var response = await SendAsync(HttpMethod.Put, owner, workspace, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), errors.ToString());
        Assert.Contains(messages.EnumerateArray(), m => !string.IsNullOrWhiteSpace(m.GetString()));
        Assert.Equal((90, false), await StoredAsync(workspace));
    }

    [Fact]
    public async Task A_form_body_is_refused_as_415()
    {
        var (workspace, owner) = await WorkspaceWithAsync("owner");
        using var http = new HttpClient { BaseAddress = service.Service.HttpEndpoint };
        using var request = Request(HttpMethod.Put, owner, workspace);
        request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["retentionDays"] = "30", ["deleteTwilioCopy"] = "true" });

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((null, false), await StoredAsync(workspace));
    }

    [Fact]
    public async Task One_workspace_never_reads_or_changes_anothers()
    {
        var (mine, owner) = await WorkspaceWithAsync("owner");
        var (theirs, theirOwner) = await WorkspaceWithAsync("owner");
        await Seed.ExecuteAsync(service.Admin, "UPDATE workspaces SET recording_retention_days = 7, delete_twilio_recordings = true WHERE id = $1", theirs);

        await CallsApiClient.JsonAsync(await SendAsync(HttpMethod.Put, owner, mine, """{"retentionDays": 365, "deleteTwilioCopy": false}"""));
        Assert.Equal((365, false), await StoredAsync(mine));
        Assert.Equal((7, true), await StoredAsync(theirs));

        // Naming a workspace one is not a member of gets nothing, and changes nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, owner, theirs)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, owner, theirs, """{"retentionDays": 1, "deleteTwilioCopy": false}""")).StatusCode);
        Assert.Equal((7, true), await StoredAsync(theirs));
        var read = await CallsApiClient.JsonAsync(await SendAsync(HttpMethod.Get, theirOwner, theirs));
        Assert.Equal(7, read.GetProperty("retentionDays").GetInt32());
        Assert.True(read.GetProperty("deleteTwilioCopy").GetBoolean());
    }

    private async Task<(Guid Workspace, Guid User)> WorkspaceWithAsync(string role)
    {
        var workspace = await Seed.WorkspaceAsync(service.Admin);
        var user = Guid.NewGuid();
        await Seed.MemberAsync(service.Admin, workspace, user, role);
        return (workspace, user);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Guid user, Guid workspace, string? body = null)
    {
        using var http = new HttpClient { BaseAddress = service.Service.HttpEndpoint };
        using var request = Request(method, user, workspace);
        if (body is not null)
        {
            request.Content = Json(body);
        }
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static HttpRequestMessage Request(HttpMethod method, Guid user, Guid workspace)
    {
        var request = new HttpRequestMessage(method, Path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CallsApiClient.TokenFor(user));
        request.Headers.Add("X-Workspace-Id", workspace.ToString());
        return request;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(int? RetentionDays, bool DeleteTwilioCopy)> StoredAsync(Guid workspace) => (
        await Seed.ScalarAsync<int?>(service.Admin, "SELECT recording_retention_days FROM workspaces WHERE id = $1", workspace),
        await Seed.ScalarAsync<bool>(service.Admin, "SELECT delete_twilio_recordings FROM workspaces WHERE id = $1", workspace));
}
