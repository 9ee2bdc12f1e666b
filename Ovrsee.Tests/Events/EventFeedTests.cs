using System.Net;
using System.Text.Json;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>
/// GET /api/aloha/events through the real service and PostgreSQL: frames, tenant isolation, resume
/// with Last-Event-ID across a disconnect, late commits, filters and the errors.
/// </summary>
[Trait("Category", "Slow")]
public class EventFeedTests(EventFeedFixture api) : IClassFixture<EventFeedFixture>
{
    private const string Feed = "/api/aloha/events";
    private HttpClient Http => api.Http;

    private async Task<(Guid Workspace, string Token)> WorkspaceAsync(string name = "Feed")
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin, name);
        var user = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, user);
        return (workspace, TokenFor(user));
    }

    [Fact]
    public async Task An_inserted_event_arrives_with_its_cursor_as_id_its_type_and_the_envelope()
    {
        var (workspace, token) = await WorkspaceAsync();
        var callSid = Seed.NewCallSid();
        var callId = await Seed.CallAsync(api.Admin, workspace, callSid, "in-progress");
        await using var feed = await SseClient.ConnectAsync(Http, Feed, token);
        Assert.True(feed.Response.Headers.CacheControl is { NoCache: true, NoStore: true });

        var inserted = await DomainEvents.InsertAsync(api.Admin, workspace, "call.completed",
            $$"""{"callSid":"{{callSid}}","status":"completed","durationSeconds":42,"endedAt":"2026-12-02T05:30:15Z"}""", callId, 7);
        var frame = await feed.NextEventAsync();

        Assert.Equal(inserted.Cursor, frame.Id);
        Assert.Equal("call.completed", frame.Event);
        var envelope = frame.Json;
        Assert.Equal(inserted.Id, envelope.GetProperty("id").GetGuid());
        Assert.Equal("call.completed", envelope.GetProperty("type").GetString());
        Assert.Equal("2026-12-02T05:30:15.123Z", envelope.GetProperty("timestamp").GetString());
        Assert.Equal(workspace, envelope.GetProperty("workspaceId").GetGuid());
        Assert.Equal(callId, envelope.GetProperty("callId").GetGuid());
        Assert.Equal(7, envelope.GetProperty("sequence").GetInt32());
        var data = envelope.GetProperty("data");
        Assert.Equal(callSid, data.GetProperty("callSid").GetString());
        Assert.Equal(42, data.GetProperty("durationSeconds").GetInt32());
        // What was sent is what is stored.
        Assert.Equal(42, await Seed.ScalarAsync<int>(api.Admin, "SELECT (data->>'durationSeconds')::int FROM domain_events WHERE id = $1", inserted.Id));
    }

    [Fact]
    public async Task Idle_streams_get_a_keep_alive_comment()
    {
        var (_, token) = await WorkspaceAsync();
        await using var feed = await SseClient.ConnectAsync(Http, Feed, token);

        var frame = await feed.NextFrameAsync();

        Assert.False(frame.IsEvent);
        Assert.Equal(["keep-alive"], frame.Comments);
    }

    [Fact]
    public async Task Tenant_A_never_receives_B_events_while_both_produce()
    {
        var (a, tokenA) = await WorkspaceAsync("A");
        var (b, tokenB) = await WorkspaceAsync("B");
        await using var feedA = await SseClient.ConnectAsync(Http, Feed, tokenA);
        await using var feedB = await SseClient.ConnectAsync(Http, Feed, tokenB);

        async Task<List<InsertedEvent>> Produce(Guid workspace)
        {
            var events = new List<InsertedEvent>();
            for (var i = 0; i < 20; i++)
            {
                events.Add(await DomainEvents.InsertAsync(api.Admin, workspace, DomainEventTypes[i % DomainEventTypes.Length]));
            }
            return events;
        }
        var produced = await Task.WhenAll(Produce(a), Produce(b));
        // Committed after everything else: anything of B's that leaked into A's stream would come before it.
        var lastA = await DomainEvents.InsertAsync(api.Admin, a);
        var lastB = await DomainEvents.InsertAsync(api.Admin, b);

        var receivedA = await feedA.EventsThroughAsync(lastA.Id);
        var receivedB = await feedB.EventsThroughAsync(lastB.Id);

        Assert.Equal([.. produced[0].Select(e => e.Id), lastA.Id], receivedA.Select(f => f.Json.GetProperty("id").GetGuid()));
        Assert.Equal([.. produced[1].Select(e => e.Id), lastB.Id], receivedB.Select(f => f.Json.GetProperty("id").GetGuid()));
        Assert.All(receivedA, f => Assert.Equal(a, f.Json.GetProperty("workspaceId").GetGuid()));

        // The catch-up path reads as the tenant too: A replayed from the very start is A's alone.
        await using var replayA = await SseClient.ConnectAsync(Http, Feed, tokenA, lastEventId: "0.0");
        var replayed = await replayA.EventsThroughAsync(lastA.Id);
        Assert.Equal(receivedA.Select(f => f.Id), replayed.Select(f => f.Id));
    }

    [Fact]
    public async Task A_client_that_reconnects_with_Last_Event_ID_gets_exactly_what_it_missed()
    {
        var (workspace, token) = await WorkspaceAsync();
        string lastSeen;
        await using (var feed = await SseClient.ConnectAsync(Http, Feed, token))
        {
            await DomainEvents.InsertAsync(api.Admin, workspace, "call.ringing");
            var second = await DomainEvents.InsertAsync(api.Admin, workspace, "call.answered");
            var received = await feed.EventsThroughAsync(second.Id);
            Assert.Equal(2, received.Count);
            lastSeen = received[^1].Id!;
            Assert.Equal(second.Cursor, lastSeen);
        }
        // Disconnected: these happen while nobody listens.
        var missed = new List<InsertedEvent>();
        foreach (var type in new[] { "call.routed", "call.completed", "voicemail.recorded" })
        {
            missed.Add(await DomainEvents.InsertAsync(api.Admin, workspace, type));
        }

        await using var resumed = await SseClient.ConnectAsync(Http, Feed, token, lastEventId: lastSeen);
        // Events keep coming during the catch-up and after it: the hand-over to live must neither skip nor repeat.
        var during = Task.Run(async () =>
        {
            var events = new List<InsertedEvent>();
            for (var i = 0; i < 15; i++)
            {
                events.Add(await DomainEvents.InsertAsync(api.Admin, workspace, "voicemail.transcribed"));
            }
            return events;
        });
        var afterCatchUp = (await during).ToList();
        var final = await DomainEvents.InsertAsync(api.Admin, workspace, "voicemail.summarized");

        var frames = await resumed.EventsThroughAsync(final.Id);

        Assert.Equal([.. missed.Select(e => e.Cursor), .. afterCatchUp.Select(e => e.Cursor), final.Cursor], frames.Select(f => f.Id));
        Assert.Equal(frames.Count, frames.Select(f => f.Id).Distinct().Count());
    }

    [Fact]
    public async Task The_lastEventId_query_parameter_resumes_like_the_header_and_the_header_wins()
    {
        var (workspace, token) = await WorkspaceAsync();
        var first = await DomainEvents.InsertAsync(api.Admin, workspace, "call.ringing");
        var second = await DomainEvents.InsertAsync(api.Admin, workspace, "call.answered");
        var third = await DomainEvents.InsertAsync(api.Admin, workspace, "call.completed");

        await using (var byQuery = await SseClient.ConnectAsync(Http, $"{Feed}?lastEventId={first.Cursor}", token))
        {
            var frames = await byQuery.EventsThroughAsync(third.Id);
            Assert.Equal([second.Cursor, third.Cursor], frames.Select(f => f.Id));
        }

        // A browser's EventSource keeps the URL it started with and sends the newer id as the header.
        await using var both = await SseClient.ConnectAsync(Http, $"{Feed}?lastEventId={first.Cursor}", token, lastEventId: second.Cursor);
        Assert.Equal(third.Cursor, (await both.NextEventAsync()).Id);
    }

    [Fact]
    public async Task Without_Last_Event_ID_only_new_events_are_sent()
    {
        var (workspace, token) = await WorkspaceAsync();
        await DomainEvents.InsertAsync(api.Admin, workspace, "call.ringing");
        await using var feed = await SseClient.ConnectAsync(Http, Feed, token);

        var fresh = await DomainEvents.InsertAsync(api.Admin, workspace, "call.answered");

        Assert.Equal(fresh.Cursor, (await feed.NextEventAsync()).Id);
    }

    [Fact]
    public async Task The_types_filter_sends_only_those_types_live_and_in_catch_up()
    {
        var (workspace, token) = await WorkspaceAsync();
        var before = await DomainEvents.InsertAsync(api.Admin, workspace, "call.ringing");
        var completedEarly = await DomainEvents.InsertAsync(api.Admin, workspace, "call.completed");
        await using var feed = await SseClient.ConnectAsync(Http, $"{Feed}?types=call.completed,voicemail.summarized&lastEventId={before.Cursor}", token);

        await DomainEvents.InsertAsync(api.Admin, workspace, "call.ringing");
        await DomainEvents.InsertAsync(api.Admin, workspace, "voicemail.recorded");
        var summarized = await DomainEvents.InsertAsync(api.Admin, workspace, "voicemail.summarized");
        await DomainEvents.InsertAsync(api.Admin, workspace, "call.answered");
        var completed = await DomainEvents.InsertAsync(api.Admin, workspace, "call.completed");

        var frames = await feed.EventsThroughAsync(completed.Id);

        Assert.Equal([completedEarly.Cursor, summarized.Cursor, completed.Cursor], frames.Select(f => f.Id));
        Assert.Equal(["call.completed", "voicemail.summarized", "call.completed"], frames.Select(f => f.Event));
    }

    [Fact]
    public async Task An_event_from_a_transaction_that_started_earlier_but_commits_later_still_arrives_in_cursor_order()
    {
        var (workspace, token) = await WorkspaceAsync();
        await using var feed = await SseClient.ConnectAsync(Http, Feed, token);

        await using var slow = new NpgsqlConnection(api.Admin);
        await slow.OpenAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        var early = await DomainEvents.InsertAsync(slow, workspace, "call.ringing");
        var later = await DomainEvents.InsertAsync(api.Admin, workspace, "call.completed");
        await transaction.CommitAsync();

        var frames = await feed.EventsThroughAsync(later.Id);

        Assert.Equal([early.Cursor, later.Cursor], frames.Select(f => f.Id));
    }

    [Fact]
    public async Task An_event_held_back_by_an_older_open_transaction_arrives_when_that_transaction_ends_without_a_notification()
    {
        var (workspace, token) = await WorkspaceAsync();
        await using var feed = await SseClient.ConnectAsync(Http, Feed, token);

        // An unrelated transaction with a transaction id, open: it holds back the readable horizon.
        await using var holder = new NpgsqlConnection(api.Admin);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT pg_current_xact_id()", holder, transaction))
        {
            await command.ExecuteScalarAsync();
        }
        var held = await DomainEvents.InsertAsync(api.Admin, workspace, "call.answered");
        // Ends without writing an event: no notification; the hub's fallback re-read finds the row.
        await transaction.CommitAsync();

        Assert.Equal(held.Cursor, (await feed.NextEventAsync()).Id);
    }

    public static TheoryData<string, string?, string> BadRequests => new()
    {
        { $"{Feed}", "abc", "Last-Event-ID" },
        { $"{Feed}", "12", "Last-Event-ID" },
        { $"{Feed}", "1.-2", "Last-Event-ID" },
        { $"{Feed}?lastEventId=1.x", null, "lastEventId" },
        { $"{Feed}?types=call.completed,call.exploded", null, "types" },
        { $"{Feed}?types=", null, "types" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_malformed_id_or_unknown_type_is_400_problem_details(string url, string? lastEventId, string field)
    {
        var (_, token) = await WorkspaceAsync();

        using var response = await SseClient.SendAsync(Http, url, token, lastEventId);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("text/event-stream")]
    [InlineData("application/json")]
    [InlineData("*/*")]
    public async Task Without_a_token_it_is_401_problem_details_whatever_the_Accept_header(string accept)
    {
        using var response = await SseClient.SendAsync(Http, Feed, token: null, accept: accept);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Contains("bearer token is required", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Another_workspaces_header_is_403()
    {
        var (_, tokenA) = await WorkspaceAsync("A");
        var (b, _) = await WorkspaceAsync("B");
        var request = new HttpRequestMessage(HttpMethod.Get, Feed);
        request.Headers.Authorization = new("Bearer", tokenA);
        request.Headers.Add("X-Workspace-Id", b.ToString());
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_API_description_has_the_feed_its_media_type_parameters_and_problem_responses()
    {
        var document = JsonDocument.Parse(await Http.GetStringAsync("/openapi/v1.json")).RootElement;

        var operation = document.GetProperty("paths").GetProperty(Feed).GetProperty("get");
        Assert.Contains("Server-Sent Events", operation.GetProperty("summary").GetString());
        Assert.Contains("call.completed", operation.GetProperty("description").GetString());
        var responses = operation.GetProperty("responses");
        Assert.True(responses.GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _));
        foreach (var status in new[] { "400", "401", "403" })
        {
            Assert.True(responses.GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);
        }
        var parameters = operation.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("header", parameters["Last-Event-ID"].GetProperty("in").GetString());
        Assert.Equal("query", parameters["lastEventId"].GetProperty("in").GetString());
        Assert.Equal(DomainEventTypes, parameters["types"].GetProperty("schema").GetProperty("items").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.All(parameters.Values, p => Assert.False(string.IsNullOrEmpty(p.GetProperty("description").GetString())));
    }

    private static readonly string[] DomainEventTypes =
        ["call.ringing", "call.answered", "call.routed", "call.completed", "voicemail.recorded", "voicemail.transcribed", "voicemail.summarized"];
}
