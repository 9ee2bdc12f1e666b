using System.Net;
using System.Text.Json;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Calls;

/// <summary>A member of workspace A never sees workspace B: not in the list, not through any filter, not by id.</summary>
[Trait("Category", "Slow")]
public class CallsIsolationTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>, IAsyncLifetime
{
    private Guid _a, _b, _userA, _userB;
    private readonly List<Guid> _callsA = [], _callsB = [];
    private HttpClient Http => api.Twilio.Http;

    public async Task InitializeAsync()
    {
        _a = await Seed.WorkspaceAsync(api.Admin, "A");
        _b = await Seed.WorkspaceAsync(api.Admin, "B");
        _userA = Guid.NewGuid();
        _userB = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, _a, _userA);
        await Seed.MemberAsync(api.Admin, _b, _userB, "owner");
        foreach (var status in new[] { "completed", "no-answer", "busy", "ringing", "rejected" })
        {
            _callsA.Add(await Seed.CallAsync(api.Admin, _a, Seed.NewCallSid(), status));
            _callsB.Add(await Seed.CallAsync(api.Admin, _b, Seed.NewCallSid(), status));
        }
        // B's calls share every attribute A's have, so a leaking filter would show them.
        await Seed.ExecuteAsync(api.Admin, "INSERT INTO voicemail_messages (workspace_id, call_log_id, call_sid, recording_sid, recording_status) SELECT workspace_id, id, call_sid, 'RE' || md5(call_sid), 'completed' FROM call_logs WHERE workspace_id = ANY($1)", (object)new[] { _a, _b });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string> Filters => new()
    {
        "", "?status=completed", "?status=completed,no-answer,busy,ringing,rejected", "?direction=inbound",
        "?from=%2B14155550100", "?to=%2B14155550199", "?hasVoicemail=true", "?hasVoicemail=false",
        "?since=2000-01-01T00:00:00Z", "?until=2100-01-01T00:00:00Z", "?limit=1", "?limit=200",
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Workspace_A_never_sees_B_through_any_filter(string filter)
    {
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var separator = filter.Length == 0 ? "?" : "&";
            var url = "/api/aloha/calls" + filter + (cursor is null ? "" : $"{separator}cursor={cursor}");
            var page = await JsonAsync(await GetAsync(Http, url, TokenFor(_userA)));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Empty(seen.Intersect(_callsB));
        Assert.All(seen, id => Assert.Contains(id, _callsA));
    }

    [Fact]
    public async Task Another_workspaces_call_is_404_and_its_workspace_header_is_403()
    {
        var response = await GetAsync(Http, $"/api/aloha/calls/{_callsB[0]}", TokenFor(_userA));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var recording = await GetAsync(Http, $"/api/aloha/calls/{_callsB[0]}/voicemail/recording", TokenFor(_userA));
        Assert.Equal(HttpStatusCode.NotFound, recording.StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(Http, "/api/aloha/calls", TokenFor(_userA), _b)).StatusCode);
        // The same call is there for its own workspace.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(Http, $"/api/aloha/calls/{_callsB[0]}", TokenFor(_userB))).StatusCode);
    }
}
