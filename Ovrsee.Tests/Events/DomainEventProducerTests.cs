using System.Net;
using System.Text.Json;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;

namespace Ovrsee.Tests.Events;

/// <summary>
/// The outbox's producers (#19): each domain event is written by the statement that makes its
/// change, once, whatever Twilio redelivers or reorders, numbered in the order it happened to the
/// call. Through the real WebhookApi and the real voicemail pipeline.
/// </summary>
[Trait("Category", "Slow")]
public class DomainEventProducerTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private const string From = "+14155550100";
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    public sealed record StoredEvent(string Type, int Sequence, Guid WorkspaceId, JsonElement Data);

    public static async Task<List<StoredEvent>> EventsAsync(string admin, string callSid)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT e.type, e.call_seq, e.workspace_id, e.data::text
            FROM domain_events e JOIN call_logs c ON c.id = e.call_log_id
            WHERE c.call_sid = $1
            ORDER BY e.call_seq, e.position
            """, connection) { Parameters = { new() { Value = callSid } } };
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events.Add(new StoredEvent(reader.GetString(0), reader.GetInt32(1), reader.GetGuid(2), JsonDocument.Parse(reader.GetString(3)).RootElement.Clone()));
        }
        return events;
    }

    private async Task<(Guid Workspace, string Number)> NumberAsync()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, number);
        return (workspace, number);
    }

    private async Task PostAsync(string path, Dictionary<string, string> form, string token)
    {
        var response = await api.Twilio.PostAsync(path, form, idempotencyToken: token);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task A_call_announces_ringing_routed_answered_and_completed_once_each_in_the_order_they_happened()
    {
        var (workspace, number) = await NumberAsync();
        var callSid = Seed.NewCallSid();

        await PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, number), "in");
        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "in-progress", 1, T0.AddSeconds(2)), "s1");
        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "completed", 2, T0.AddSeconds(40), duration: 38), "s2");
        // Twilio redelivers all of it.
        await PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, number), "in-again");
        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "in-progress", 1, T0.AddSeconds(2)), "s1-again");
        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "completed", 2, T0.AddSeconds(40), duration: 38), "s2-again");

        var events = await EventsAsync(api.Admin, callSid);
        Assert.Equal(["call.ringing", "call.routed", "call.answered", "call.completed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(workspace, e.WorkspaceId));
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));
        Assert.Equal(events.Count, events.Select(e => e.Sequence).Distinct().Count());

        var ringing = events[0].Data;
        Assert.Equal(callSid, ringing.GetProperty("callSid").GetString());
        Assert.Equal(From, ringing.GetProperty("from").GetString());
        Assert.Equal(number, ringing.GetProperty("to").GetString());
        Assert.Equal("voicemail", events[1].Data.GetProperty("route").GetString());
        Assert.Equal("2026-12-02T09:00:02.000Z", events[2].Data.GetProperty("answeredAt").GetString());
        var completed = events[3].Data;
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(38, completed.GetProperty("durationSeconds").GetInt32());
        Assert.Equal("2026-12-02T09:00:40.000Z", completed.GetProperty("endedAt").GetString());
        Assert.Equal("missed", completed.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Callbacks_out_of_order_and_in_parallel_still_announce_each_event_once()
    {
        var (_, number) = await NumberAsync();
        var callSid = Seed.NewCallSid();

        // The end first, then everything at once, several times over.
        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "completed", 3, T0.AddSeconds(30), duration: 25), "end");
        var forms = new List<(string Path, Dictionary<string, string> Form)>
        {
            ("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, number)),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "ringing", 1, T0)),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "in-progress", 2, T0.AddSeconds(5))),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "completed", 3, T0.AddSeconds(30), duration: 25)),
        };
        await Task.WhenAll(Enumerable.Range(0, 5).SelectMany(round => forms.Select((f, i) => PostAsync(f.Path, f.Form, $"{round}-{i}"))));

        var events = await EventsAsync(api.Admin, callSid);
        Assert.Equal(["call.ringing", "call.answered", "call.completed"], events.Take(3).Select(e => e.Type));
        // The incoming-call came after the end: it still routes (once), after what was already announced.
        Assert.Equal(["call.ringing", "call.answered", "call.completed", "call.routed"], events.Select(e => e.Type));
        Assert.Equal(events.Count, events.Select(e => e.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task Other_replicas_are_woken_through_PostgreSQL_after_the_commit()
    {
        var (_, number) = await NumberAsync();
        await using var listener = new NpgsqlConnection(api.Admin);
        await listener.OpenAsync();
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => notified.TrySetResult(e.Channel);
        await using (var listen = new NpgsqlCommand("LISTEN ovrsee_events", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(Seed.NewCallSid(), From, number), "in");

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!notified.Task.IsCompleted)
        {
            await listener.WaitAsync(limit.Token);
        }
        Assert.Equal("ovrsee_events", await notified.Task);
    }

    [Fact]
    public async Task A_call_to_a_number_nobody_owns_announces_nothing()
    {
        var callSid = Seed.NewCallSid();
        var nobody = "+1415" + Random.Shared.Next(1000000, 9999999);

        await PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, nobody), "in");
        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, nobody, "completed", 1, T0, duration: 0), "end");

        Assert.Equal("rejected", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Empty(await EventsAsync(api.Admin, callSid));
    }

    [Fact]
    public async Task A_voicemail_announces_recorded_and_Twilios_transcript_once_each()
    {
        var (_, number) = await NumberAsync();
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();

        await PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, number), "in");
        // In progress first (not announced), then completed, each twice.
        for (var round = 0; round < 2; round++)
        {
            await PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid, status: "in-progress", duration: 17), $"r0-{round}");
            await PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid, duration: 17), $"r1-{round}");
            await PostAsync("/api/aloha/webhooks/voicemail-transcribed", TwilioForms.Transcription(callSid, recordingSid, "Please call me back."), $"t-{round}");
        }

        var events = await EventsAsync(api.Admin, callSid);
        Assert.Equal(["call.ringing", "call.routed", "voicemail.recorded", "voicemail.transcribed"], events.Select(e => e.Type));
        var voicemailId = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM voicemail_messages WHERE recording_sid = $1", recordingSid);
        var recorded = events[2].Data;
        Assert.Equal(voicemailId.ToString(), recorded.GetProperty("voicemailId").GetString());
        Assert.Equal(recordingSid, recorded.GetProperty("recordingSid").GetString());
        Assert.Equal(17, recorded.GetProperty("durationSeconds").GetInt32());
        Assert.Equal("Please call me back.", events[3].Data.GetProperty("transcript").GetString());
    }

    [Fact]
    public async Task A_failed_transcription_is_not_announced_as_a_transcript()
    {
        var (_, number) = await NumberAsync();
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();

        await PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, number), "in");
        await PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid), "r");
        await PostAsync("/api/aloha/webhooks/voicemail-transcribed", TwilioForms.Transcription(callSid, recordingSid, "", status: "failed"), "t");

        Assert.DoesNotContain(await EventsAsync(api.Admin, callSid), e => e.Type == "voicemail.transcribed");
    }

    [Fact]
    public async Task Calls_from_before_the_producers_do_not_replay_their_history()
    {
        var (workspace, number) = await NumberAsync();
        var callSid = Seed.NewCallSid();
        // A call stored before migration 0121 reads announced = 15 (the column's first default).
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO call_logs (workspace_id, call_sid, status, status_rank, announced) VALUES ($1, $2, 'in-progress', 4, 15)
            """, workspace, callSid);

        await PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, number, "completed", 5, T0, duration: 3), "end");

        Assert.Empty(await EventsAsync(api.Admin, callSid));
    }
}

/// <summary>The voicemail pipeline's events: our own transcript and the summary, once each even when every job runs again.</summary>
public sealed class VoicemailPipelineEventTests
{
    [Fact]
    public async Task Transcribed_and_summarized_are_announced_once_after_recorded_even_when_every_job_runs_again()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var ai = await OpenAIDouble.StartAsync();
        var settings = PipelineHost.WithAI(PipelineHost.Settings(database), ai);
        settings["Voicemail:Transcription"] = "SpeechToText";
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await using (var runner = await PipelineHost.StartAsync(settings))
        {
            Assert.True(await Eventually.TrueAsync(async () => (await DomainEventProducerTests.EventsAsync(database.AdminConnectionString, voicemail.CallSid))
                .Any(e => e.Type == "voicemail.summarized")), await Stored.JobsAsync(database));

            await Seed.ExecuteAsync(database.AdminConnectionString,
                "UPDATE jobs SET state = 'queued', run_after = now(), completed_at = NULL WHERE payload->>'voicemailId' = $1", voicemail.Id.ToString());
            Assert.True(await Eventually.TrueAsync(async () =>
                await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE state <> 'succeeded' AND payload->>'voicemailId' = $1", voicemail.Id.ToString()) == 0),
                await Stored.JobsAsync(database));
        }

        var events = await DomainEventProducerTests.EventsAsync(database.AdminConnectionString, voicemail.CallSid);
        Assert.Equal(["call.ringing", "voicemail.recorded", "voicemail.transcribed", "voicemail.summarized"], events.Select(e => e.Type));
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));
        Assert.Equal("completed", events[2].Data.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(events[2].Data.GetProperty("transcript").GetString()));
        var summarized = events[3].Data;
        Assert.Equal("completed", summarized.GetProperty("status").GetString());
        Assert.Equal(voicemail.Id.ToString(), summarized.GetProperty("voicemailId").GetString());
        Assert.Equal(JsonValueKind.Object, summarized.GetProperty("summary").ValueKind);
    }
}
