using System.Globalization;
using System.Net;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Reconciliation;

/// <summary>
/// Calls Twilio handled while our webhooks were unreachable, brought back from Twilio's REST API
/// (the stateful double, every request validated by Prism against Twilio's description) through
/// the webhooks' own write path; webhooks replayed afterwards and a second replica's run change
/// nothing.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReconciliationTests : IAsyncLifetime
{
    private const string Caller = "+14155550100";
    private TestDatabase _database = null!;
    private TwilioDouble _twilio = null!;

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _twilio = await TwilioDouble.StartAsync(await PrismServer.GetAsync());
    }

    public async Task DisposeAsync() => await _twilio.DisposeAsync();

    private string Admin => _database.AdminConnectionString;

    [Fact]
    public async Task Fifty_calls_that_never_reached_us_appear_once_with_status_duration_voicemail_and_jobs()
    {
        var (workspace, number, numberId) = await NumberAsync();
        var calls = MissedCalls(number, 50);
        var withVoicemail = calls.Where((_, i) => i % 5 == 0 && calls[i].Status == "completed").ToList();
        foreach (var call in withVoicemail)
        {
            _twilio.AddRecording(new DoubleRecording { Sid = TwilioForms.NewRecordingSid(), CallSid = call.Sid, DateCreated = call.EndTime!.Value, Duration = 21 });
        }

        await using var host = ReconcilerHost.Start(_database, _twilio);
        var report = await host.RunAsync();

        Assert.Equal("completed", report.Outcome);
        Assert.Equal(50, report.CallsCreated);
        Assert.Equal(withVoicemail.Count, report.VoicemailsCreated);
        Assert.Equal(50, await CountAsync("SELECT count(*) FROM call_logs WHERE workspace_id = $1", workspace));
        foreach (var call in calls)
        {
            var (status, duration, phoneNumberId, ended) = await CallAsync(call.Sid);
            Assert.Equal(call.Status, status);
            Assert.Equal(call.Duration, duration);
            Assert.Equal(numberId, phoneNumberId);
            Assert.Equal(call.EndTime!.Value, ended);
        }
        Assert.Equal(withVoicemail.Count, await CountAsync(
            "SELECT count(*) FROM voicemail_messages WHERE workspace_id = $1 AND recording_status = 'completed' AND recording_duration_seconds = 21", workspace));
        Assert.Equal(withVoicemail.Count, await CountAsync(
            "SELECT count(*) FROM jobs WHERE workspace_id = $1 AND kind = 'voicemail.fetch-recording'", workspace));
        // Every repair is on its call's timeline, marked as reconciled.
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM call_events WHERE workspace_id = $1 AND payload->>'source' IS DISTINCT FROM 'reconciled'", workspace));
        Assert.Equal(100 + withVoicemail.Count, await CountAsync("SELECT count(*) FROM call_events WHERE workspace_id = $1", workspace));
        Assert.Equal(50 + withVoicemail.Count, await CountAsync("SELECT reconciled_repairs FROM user_phone_numbers WHERE id = $1", numberId));
        Assert.NotNull(await Seed.ScalarAsync<DateTime?>(Admin, "SELECT last_reconciled_at FROM user_phone_numbers WHERE id = $1", numberId));
        // Paged: 50 calls at 20 a page is three requests.
        Assert.Equal(3, _twilio.CallHistoryRequests.Count(r => r.Path.EndsWith("/Calls.json", StringComparison.Ordinal)));

        var again = await host.RunAsync();
        Assert.Equal(0, again.Repairs);
        Assert.Equal(100 + withVoicemail.Count, await CountAsync("SELECT count(*) FROM call_events WHERE workspace_id = $1", workspace));
        await AssertContractAsync();
    }

    [Fact]
    public async Task Calls_with_only_ringing_delivered_are_closed_and_stuck_calls_are_swept()
    {
        var (workspace, number, _) = await NumberAsync();
        var calls = MissedCalls(number, 3);
        await using var webhooks = await WebhookApiAsync();
        foreach (var call in calls)
        {
            var ringing = await webhooks.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(call.Sid, Caller, number));
            Assert.Equal(HttpStatusCode.OK, ringing.StatusCode);
        }
        // One more call rang 30 hours ago and never ended here: outside the listing window (24 h back
        // for a number never reconciled), so only the stuck-call sweep finds it.
        var longAgo = DateTimeOffset.UtcNow.AddHours(-30);
        longAgo = longAgo.AddTicks(-(longAgo.Ticks % TimeSpan.TicksPerSecond));
        var stuck = _twilio.AddCall(new DoubleCall
        {
            Sid = Seed.NewCallSid(), From = Caller, To = number, Status = "completed", Duration = 95,
            StartTime = longAgo,
        });
        stuck.EndTime = stuck.StartTime.AddSeconds(95);
        await webhooks.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(stuck.Sid, Caller, number));
        await Seed.ExecuteAsync(Admin, "UPDATE call_logs SET created_at = now() - interval '30 hours', started_at = now() - interval '30 hours' WHERE call_sid = $1", stuck.Sid);

        await using var host = ReconcilerHost.Start(_database, _twilio);
        var report = await host.RunAsync();

        Assert.Equal(0, report.CallsCreated);
        Assert.Equal(3, report.CallsClosed);
        Assert.Equal(1, report.StuckCallsClosed);
        foreach (var call in calls.Append(stuck))
        {
            var (status, duration, _, ended) = await CallAsync(call.Sid);
            Assert.Equal(call.Status, status);
            Assert.Equal(call.Duration, duration);
            Assert.Equal(call.EndTime!.Value, ended);
            Assert.Equal(1, await CountAsync("SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'status' AND payload->>'source' = 'reconciled'", call.Sid));
        }
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM call_logs WHERE workspace_id = $1 AND status_rank < 9", workspace));
        Assert.Contains(_twilio.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/Calls/{stuck.Sid}.json", StringComparison.Ordinal));
        await AssertContractAsync();
    }

    [Fact]
    public async Task Webhooks_replayed_after_reconciliation_change_nothing()
    {
        var (workspace, number, _) = await NumberAsync();
        var calls = MissedCalls(number, 10);
        var recordings = calls.Where(c => c.Status == "completed").Take(3)
            .Select(c => _twilio.AddRecording(new DoubleRecording { Sid = TwilioForms.NewRecordingSid(), CallSid = c.Sid, DateCreated = c.EndTime!.Value }))
            .ToList();
        await using (var host = ReconcilerHost.Start(_database, _twilio))
        {
            Assert.Equal(10, (await host.RunAsync()).CallsCreated);
        }
        var before = await SnapshotAsync(workspace);

        // Twilio's own deliveries turn up late, each twice.
        await using var webhooks = await WebhookApiAsync();
        for (var round = 0; round < 2; round++)
        {
            foreach (var call in calls)
            {
                await webhooks.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(call.Sid, Caller, number));
                var final = await webhooks.Twilio.PostAsync("/api/aloha/webhooks/call-status",
                    TwilioForms.Status(call.Sid, Caller, number, call.Status, 3, call.EndTime!.Value, call.Duration));
                Assert.Equal(HttpStatusCode.NoContent, final.StatusCode);
            }
            foreach (var recording in recordings)
            {
                var recorded = await webhooks.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(recording.CallSid, recording.Sid));
                Assert.Equal(HttpStatusCode.NoContent, recorded.StatusCode);
            }
        }

        Assert.Equal(before, await SnapshotAsync(workspace));
    }

    [Fact]
    public async Task Two_replicas_reconciling_at_once_give_the_result_of_one()
    {
        var (workspace, number, numberId) = await NumberAsync();
        var calls = MissedCalls(number, 30);
        foreach (var call in calls.Where(c => c.Status == "completed").Take(5))
        {
            _twilio.AddRecording(new DoubleRecording { Sid = TwilioForms.NewRecordingSid(), CallSid = call.Sid, DateCreated = call.EndTime!.Value });
        }
        await using var first = ReconcilerHost.Start(_database, _twilio);
        await using var second = ReconcilerHost.Start(_database, _twilio);

        var reports = await Task.WhenAll(first.RunAsync(), second.RunAsync());

        Assert.Equal(30, reports.Sum(r => r.CallsCreated));
        Assert.Equal(5, reports.Sum(r => r.VoicemailsCreated));
        Assert.Equal(30, await CountAsync("SELECT count(*) FROM call_logs WHERE workspace_id = $1", workspace));
        Assert.Equal(60 + 5, await CountAsync("SELECT count(*) FROM call_events WHERE workspace_id = $1", workspace));
        Assert.Equal(5, await CountAsync("SELECT count(*) FROM voicemail_messages WHERE workspace_id = $1", workspace));
        Assert.Equal(5, await CountAsync("SELECT count(*) FROM jobs WHERE workspace_id = $1", workspace));
        Assert.Equal(35, await CountAsync("SELECT reconciled_repairs FROM user_phone_numbers WHERE id = $1", numberId));
    }

    [Fact]
    public async Task A_storm_of_429s_delays_reconciliation_but_it_completes()
    {
        var (workspace, number, _) = await NumberAsync();
        var calls = MissedCalls(number, 25);
        _twilio.AddRecording(new DoubleRecording { Sid = TwilioForms.NewRecordingSid(), CallSid = calls[0].Sid, DateCreated = calls[0].EndTime!.Value });
        // More consecutive 429s than the REST client retries on its own (3), on both lists.
        for (var i = 0; i < 6; i++)
        {
            _twilio.Inject(r => r.Method == "GET" && r.Path.EndsWith("/Calls.json", StringComparison.Ordinal), new TwilioFault.Status(429, "Too Many Requests", RetryAfterSeconds: 1));
        }
        for (var i = 0; i < 5; i++)
        {
            _twilio.Inject(r => r.Method == "GET" && r.Path.EndsWith("/Recordings.json", StringComparison.Ordinal), new TwilioFault.Status(429, "Too Many Requests", RetryAfterSeconds: 1));
        }

        await using var host = ReconcilerHost.Start(_database, _twilio);
        var report = await host.RunAsync();

        Assert.Equal("completed", report.Outcome);
        Assert.Equal(25, report.CallsCreated);
        Assert.Equal(1, report.VoicemailsCreated);
        Assert.Equal(25, await CountAsync("SELECT count(*) FROM call_logs WHERE workspace_id = $1 AND status_rank >= 9", workspace));
        // Every 429 was met, and waited out (Retry-After 1 s each).
        Assert.True(report.FinishedAt - report.StartedAt >= TimeSpan.FromSeconds(5), $"took {report.FinishedAt - report.StartedAt}");
        Assert.True(_twilio.CallHistoryRequests.Count >= 11 + 3);
    }

    [Fact]
    public async Task Owners_reconcile_their_workspace_on_demand_members_may_not()
    {
        var (workspace, number, _) = await NumberAsync();
        MissedCalls(number, 2);
        var owner = Guid.NewGuid();
        var member = Guid.NewGuid();
        await Seed.MemberAsync(Admin, workspace, owner, "owner");
        await Seed.MemberAsync(Admin, workspace, member, "member");
        await using var webhooks = await WebhookApiAsync();

        using var refused = await PostReconcileAsync(webhooks, member, workspace);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM call_logs WHERE workspace_id = $1", workspace));

        using var accepted = await PostReconcileAsync(webhooks, owner, workspace);
        var report = await CallsApiClient.JsonAsync(accepted);
        Assert.Equal("completed", report.GetProperty("outcome").GetString());
        Assert.Equal(2, report.GetProperty("callsCreated").GetInt32());
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM call_logs WHERE workspace_id = $1", workspace));
    }

    private static async Task<HttpResponseMessage> PostReconcileAsync(WebhookService service, Guid user, Guid workspace)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/aloha/reconcile");
        request.Headers.Authorization = new("Bearer", CallsApiClient.TokenFor(user));
        request.Headers.Add("X-Workspace-Id", workspace.ToString());
        return await service.Twilio.Http.SendAsync(request);
    }

    private async Task<(Guid Workspace, string Number, Guid NumberId)> NumberAsync()
    {
        var workspace = await Seed.WorkspaceAsync(Admin);
        var number = "+1415" + Random.Shared.Next(2000000, 9999999).ToString(CultureInfo.InvariantCulture);
        return (workspace, number, await Seed.PhoneNumberAsync(Admin, workspace, number));
    }

    /// <summary>Calls in Twilio's history an hour ago that none of our webhooks heard of: mostly completed, some busy or unanswered.</summary>
    private List<DoubleCall> MissedCalls(string number, int count)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        start = start.AddTicks(-(start.Ticks % TimeSpan.TicksPerSecond));
        var calls = new List<DoubleCall>();
        for (var i = 0; i < count; i++)
        {
            var status = (i % 10) switch { 7 => "no-answer", 9 => "busy", _ => "completed" };
            var duration = status == "completed" ? 30 + i : 0;
            var startTime = start.AddSeconds(i * 37);
            calls.Add(_twilio.AddCall(new DoubleCall
            {
                Sid = Seed.NewCallSid(), From = Caller, To = number, Status = status, Duration = duration,
                StartTime = startTime, EndTime = startTime.AddSeconds(duration),
            }));
        }
        return calls;
    }

    private async Task<(string Status, int? Duration, Guid? PhoneNumberId, DateTimeOffset? EndedAt)> CallAsync(string callSid)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT status, duration_seconds, phone_number_id, ended_at FROM call_logs WHERE call_sid = $1", connection)
        {
            Parameters = { new() { Value = callSid } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no call log for {callSid}");
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
    }

    private async Task<long> CountAsync(string sql, object id) => await Seed.ScalarAsync<long>(Admin, sql, id);

    /// <summary>Everything a tenant can see of the workspace's calls, as text.</summary>
    private async Task<string> SnapshotAsync(Guid workspace) => await Seed.ScalarAsync<string>(Admin, """
        SELECT concat_ws(E'\n',
          (SELECT string_agg(concat_ws('|', call_sid, status, duration_seconds, started_at, answered_at, ended_at, workspace_id, phone_number_id), E'\n' ORDER BY call_sid) FROM call_logs WHERE workspace_id = $1),
          (SELECT string_agg(concat_ws('|', call_sid, kind, status, dedupe_key, occurred_at), E'\n' ORDER BY call_sid, kind, dedupe_key) FROM call_events WHERE workspace_id = $1),
          (SELECT string_agg(concat_ws('|', recording_sid, recording_status, recording_duration_seconds, transcript_status, summary_status), E'\n' ORDER BY recording_sid) FROM voicemail_messages WHERE workspace_id = $1),
          (SELECT string_agg(concat_ws('|', kind, dedupe_key, state), E'\n' ORDER BY kind, dedupe_key) FROM jobs WHERE workspace_id = $1))
        """, workspace) ?? "";

    private async Task<WebhookService> WebhookApiAsync()
    {
        var service = await WebhookApiFixture.StartServiceAsync(_database.ServiceConnectionString, new Dictionary<string, string?>
        {
            ["Twilio__BaseUrl"] = _twilio.BaseUrl.ToString().TrimEnd('/'),
        });
        return new WebhookService(service, new TwilioWebhookClient(service.HttpEndpoint, TestServiceEnvironment.AuthToken));
    }

    private async Task AssertContractAsync()
    {
        Assert.Empty(await _twilio.ContractViolationsAsync());
        foreach (var request in _twilio.CallHistoryRequests)
        {
            var declared = TwilioSpec.DeclaredParameters(request.Method, request.Path);
            Assert.All(request.Query.Keys, name => Assert.Contains(name, declared));
        }
    }

    private sealed record WebhookService(Ovrsee.Hosting.Services.ServiceProcess Process, TwilioWebhookClient Twilio) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Twilio.Dispose();
            await Process.DisposeAsync();
        }
    }
}
