using System.Net;
using System.Text.Json;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Calls;

[Trait("Category", "Slow")]
public class CallsListTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private HttpClient Http => api.Twilio.Http;

    private async Task<(Guid Workspace, Guid User)> WorkspaceAsync()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var user = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, user);
        return (workspace, user);
    }

    private async Task<List<Guid>> AllPagesAsync(string token, string filter, int limit)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await JsonAsync(await GetAsync(Http, $"/api/aloha/calls?limit={limit}{filter}" + (cursor is null ? "" : $"&cursor={cursor}"), token));
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return ids;
    }

    private async Task<List<Guid>> ExpectedAsync(Guid workspace, string where, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(api.Admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT c.id FROM call_logs c WHERE c.workspace_id = $1 AND ({where}) ORDER BY c.created_at DESC, c.id DESC", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = workspace });
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    [Fact]
    public async Task The_API_description_types_the_filters_and_documents_every_error_as_problem_details()
    {
        var document = JsonDocument.Parse(await Http.GetStringAsync("/openapi/v1.json")).RootElement;

        Assert.Contains("Calls", document.GetProperty("info").GetProperty("description").GetString());
        var list = document.GetProperty("paths").GetProperty("/api/aloha/calls").GetProperty("get");
        var parameters = list.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("uuid", parameters["phoneNumberId"].GetProperty("schema").GetProperty("format").GetString());
        Assert.Equal("date-time", parameters["since"].GetProperty("schema").GetProperty("format").GetString());
        Assert.Equal(["inbound", "outbound"], parameters["direction"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("no-answer", parameters["status"].GetProperty("schema").GetProperty("items").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(200, parameters["limit"].GetProperty("schema").GetProperty("maximum").GetInt32());
        Assert.All(parameters.Values, p => Assert.False(string.IsNullOrEmpty(p.GetProperty("description").GetString())));

        foreach (var (path, operation) in document.GetProperty("paths").EnumerateObject()
                     .Where(p => p.Name.StartsWith("/api/aloha/calls", StringComparison.Ordinal))
                     .SelectMany(p => p.Value.EnumerateObject().Select(o => (p.Name, o.Value))))
        {
            var responses = operation.GetProperty("responses");
            foreach (var status in new[] { "401", "403", "429" })
            {
                Assert.True(responses.TryGetProperty(status, out var response), $"{path}: no {status}");
                Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{path}: {status} is not Problem Details");
            }
            Assert.False(string.IsNullOrEmpty(operation.GetProperty("operationId").GetString()));
        }
        var recording = document.GetProperty("paths").GetProperty("/api/aloha/calls/{id}/voicemail/recording").GetProperty("get").GetProperty("responses");
        Assert.True(recording.GetProperty("200").GetProperty("content").TryGetProperty("audio/wav", out _));
        Assert.True(recording.TryGetProperty("404", out _));
    }

    [Fact]
    public async Task The_CSV_export_has_the_lists_filters_every_matching_call_and_only_this_workspaces()
    {
        var (workspace, user) = await WorkspaceAsync();
        var (other, _) = await WorkspaceAsync();
        // 1200 calls: more than a page of the list; every third one no-answer, some from a hostile caller ID.
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO call_logs (workspace_id, call_sid, status, status_rank, direction, from_number, created_at)
            SELECT $1, 'CA' || md5(random()::text || g), CASE WHEN g % 3 = 0 THEN 'no-answer' ELSE 'completed' END, 9, 'inbound',
                   CASE WHEN g % 100 = 1 THEN '=HYPERLINK("x",1)' ELSE '+1415555' || lpad(g::text, 4, '0') END,
                   now() - g * interval '1 second'
            FROM generate_series(1, 1200) g
            """, workspace);
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO call_logs (workspace_id, call_sid, status, status_rank, direction, created_at)
            SELECT $1, 'CA' || md5(random()::text || g), 'completed', 9, 'inbound', now() FROM generate_series(1, 50) g
            """, other);

        var response = await GetAsync(Http, "/api/aloha/calls/export.csv?status=completed&direction=inbound", TokenFor(user));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("attachment", response.Content.Headers.ContentDisposition?.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,callSid,direction,status,from,to,phoneNumberId,startedAt,answeredAt,endedAt,durationSeconds,createdAt,hasVoicemail,outcome", lines[0]);
        var expected = await ExpectedAsync(workspace, "c.status = 'completed'");
        Assert.Equal(800, expected.Count);
        Assert.Equal(expected, lines.Skip(1).Select(l => Guid.Parse(l[..36])).ToList());
        Assert.All(lines.Skip(1), l => Assert.Contains(",completed,", l));
        // A caller ID that is a formula stays text, quoted where it holds a comma or quote.
        Assert.Contains(lines, l => l.Contains(",\"'=HYPERLINK(\"\"x\"\",1)\",", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(",+14155550002,", StringComparison.Ordinal));

        var invalid = await GetAsync(Http, "/api/aloha/calls/export.csv?status=nonsense", TokenFor(user));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(Http, "/api/aloha/calls/export.csv", null)).StatusCode);
    }

    [Fact]
    public async Task Paging_through_1000_calls_while_200_more_arrive_returns_every_existing_call_exactly_once()
    {
        var (workspace, user) = await WorkspaceAsync();
        // Several calls share a created_at to the microsecond: the id breaks the tie.
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO call_logs (workspace_id, call_sid, status, status_rank, direction, created_at)
            SELECT $1, 'CA' || md5(random()::text || g), 'completed', 9, 'inbound', now() - (g / 3) * interval '1 second'
            FROM generate_series(1, 1000) g
            """, workspace);
        var existing = await ExpectedAsync(workspace, "true");
        var token = TokenFor(user);

        var inserting = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await Seed.CallAsync(api.Admin, workspace, Seed.NewCallSid());
            }
        });
        var seen = await AllPagesAsync(token, "", limit: 37);
        await inserting;

        Assert.Equal(1000, existing.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Empty(existing.Except(seen));
        // And the order is the list's own: newest first.
        var seenExisting = seen.Where(existing.Contains).ToList();
        Assert.Equal(existing, seenExisting);
    }

    [Fact]
    public async Task Each_filter_returns_exactly_the_stored_calls_that_match()
    {
        var (workspace, user) = await WorkspaceAsync();
        var number = await Seed.PhoneNumberAsync(api.Admin, workspace, "+1415" + Random.Shared.Next(1000000, 9999999));
        var statuses = new[] { "completed", "no-answer", "busy", "in-progress", "rejected" };
        var froms = new[] { "+14155550100", "+14155550111", "+442071838750" };
        for (var i = 0; i < 60; i++)
        {
            await Seed.ExecuteAsync(api.Admin, """
                INSERT INTO call_logs (workspace_id, phone_number_id, call_sid, status, status_rank, direction, from_number, to_number, created_at)
                VALUES ($1, $2, $3, $4, call_status_rank($4), $5, $6, $7, $8)
                """, workspace, i % 2 == 0 ? number : DBNull.Value, Seed.NewCallSid(), statuses[i % statuses.Length],
                i % 4 == 0 ? "outbound-api" : "inbound", froms[i % froms.Length], i % 3 == 0 ? "+14155550199" : "+14155550188",
                DateTimeOffset.UtcNow.AddHours(-i));
        }
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO voicemail_messages (workspace_id, call_log_id, call_sid, recording_sid, recording_status)
            SELECT workspace_id, id, call_sid, 'RE' || md5(call_sid), CASE WHEN random() < 0.8 THEN 'completed' ELSE 'absent' END
            FROM call_logs WHERE workspace_id = $1 AND status IN ('no-answer', 'completed')
            """, workspace);
        var token = TokenFor(user);
        var since = DateTimeOffset.UtcNow.AddHours(-30);
        var until = DateTimeOffset.UtcNow.AddHours(-10);
        const string hasVoicemail = "EXISTS (SELECT FROM voicemail_messages v WHERE v.call_log_id = c.id AND v.recording_status = 'completed')";

        var cases = new (string Filter, string Where, object[] Parameters)[]
        {
            ("&status=busy", "c.status = 'busy'", []),
            ("&status=completed,no-answer", "c.status IN ('completed', 'no-answer')", []),
            ("&direction=inbound", "c.direction = 'inbound'", []),
            ("&direction=outbound", "c.direction LIKE 'outbound%'", []),
            ($"&phoneNumberId={number}", "c.phone_number_id = $2", [number]),
            ("&from=%2B442071838750", "c.from_number = '+442071838750'", []),
            ("&to=%2B14155550199", "c.to_number = '+14155550199'", []),
            ($"&since={Uri.EscapeDataString(since.ToString("O"))}", "c.created_at >= $2", [since]),
            ($"&until={Uri.EscapeDataString(until.ToString("O"))}", "c.created_at < $2", [until]),
            ("&hasVoicemail=true", hasVoicemail, []),
            ("&hasVoicemail=false", "NOT " + hasVoicemail, []),
            ("&status=completed&direction=inbound&hasVoicemail=true", $"c.status = 'completed' AND c.direction = 'inbound' AND {hasVoicemail}", []),
        };
        foreach (var (filter, where, parameters) in cases)
        {
            var expected = await ExpectedAsync(workspace, where, parameters);
            var actual = await AllPagesAsync(token, filter, limit: 7);
            Assert.True(expected.SequenceEqual(actual), $"{filter}: expected {expected.Count} calls, got {actual.Count}");
            Assert.NotEmpty(expected);
        }
    }

    public static TheoryData<string, string> InvalidFilters => new()
    {
        { "status=answered-ish", "status" },
        { "direction=sideways", "direction" },
        { "phoneNumberId=42", "phoneNumberId" },
        { "from=0800-FLOWERS", "from" },
        { "to=%2B0123", "to" },
        { "since=yesterday", "since" },
        { "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until" },
        { "hasVoicemail=maybe", "hasVoicemail" },
        { "limit=0", "limit" },
        { "limit=201", "limit" },
        { "limit=ten", "limit" },
        { "cursor=bm90LWEtY3Vyc29y", "cursor" },
    };

    [Theory]
    [MemberData(nameof(InvalidFilters))]
    public async Task An_invalid_filter_is_400_problem_details_naming_the_field(string query, string field)
    {
        var (_, user) = await WorkspaceAsync();

        var response = await GetAsync(Http, "/api/aloha/calls?" + query, TokenFor(user));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors should name {field}: {errors}");
    }

    [Fact]
    public async Task An_invalid_call_id_is_400_naming_the_id()
    {
        var (_, user) = await WorkspaceAsync();

        var response = await GetAsync(Http, "/api/aloha/calls/not-a-uuid", TokenFor(user));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task The_default_page_is_50_and_times_are_utc_iso_8601_in_camel_case()
    {
        var (workspace, user) = await WorkspaceAsync();
        await Seed.ExecuteAsync(api.Admin, "INSERT INTO call_logs (workspace_id, call_sid, status, status_rank) SELECT $1, 'CA' || md5(random()::text || g), 'completed', 9 FROM generate_series(1, 60) g", workspace);

        var page = await JsonAsync(await GetAsync(Http, "/api/aloha/calls", TokenFor(user)));

        Assert.Equal(50, page.GetProperty("items").GetArrayLength());
        var createdAt = page.GetProperty("items")[0].GetProperty("createdAt").GetString()!;
        Assert.EndsWith("Z", createdAt);
        Assert.True(DateTime.TryParse(createdAt, null, System.Globalization.DateTimeStyles.RoundtripKind, out _));
        Assert.True(page.GetProperty("items")[0].TryGetProperty("callSid", out _));
    }
}
