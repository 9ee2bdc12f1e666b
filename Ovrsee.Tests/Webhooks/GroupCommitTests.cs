using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Tests.Webhooks;

/// <summary>
/// The group-commit write path's guarantees, on a real PostgreSQL. Batches are made
/// deterministic, not hoped for: the test holds a lock that stops the only writer inside its
/// first transaction, so everything sent meanwhile is queued and goes out together next.
/// </summary>
public class GroupCommitTests : IAsyncLifetime
{
    private const string Caller = "+14155550100";
    private TestDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private string _number = "";

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(_database.ServiceConnectionString);
        var workspace = await Seed.WorkspaceAsync(_database.AdminConnectionString);
        _number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(_database.AdminConnectionString, workspace, _number, voicemailEnabled: false);
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    private GroupCommit NewGroupCommit(NpgsqlDataSource? dataSource = null) => new(
        new CallbackRecorder(dataSource ?? _dataSource),
        Options.Create(new GroupCommitOptions { Writers = 1, MaxBatchSize = 64 }),
        Options.Create(new WebhookRecorderOptions { DatabaseTimeout = TimeSpan.FromSeconds(60) }),
        NullLogger<GroupCommit>.Instance);

    /// <summary>A few pooled connections with a patient timeout: the checks must not fail because the machine is busy.</summary>
    internal static string PooledAdmin(string admin) =>
        new NpgsqlConnectionStringBuilder(admin) { Pooling = true, MaxPoolSize = 8, Timeout = 60 }.ConnectionString;

    private static TwilioCallback Incoming(string callSid, string to) =>
        new(CallbackKind.IncomingCall, TwilioForms.IncomingCall(callSid, Caller, to), DateTimeOffset.UtcNow);

    private static TwilioCallback Status(string callSid, string to, string status, int sequence) =>
        new(CallbackKind.CallStatus, TwilioForms.Status(callSid, Caller, to, status, sequence, DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);

    private static TwilioCallback Recording(string callSid, string recordingSid) =>
        new(CallbackKind.VoicemailRecorded, TwilioForms.Recording(callSid, recordingSid), DateTimeOffset.UtcNow);

    /// <summary>Holds call_logs against writers until disposed, once the writer is seen waiting on it.</summary>
    private async Task<NpgsqlTransaction> BlockCallLogsAsync(NpgsqlConnection admin)
    {
        var transaction = await admin.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("LOCK TABLE call_logs IN SHARE ROW EXCLUSIVE MODE", admin, transaction);
        await command.ExecuteNonQueryAsync();
        return transaction;
    }

    private async Task WaitUntilAWriterWaitsOnTheLockAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            if (await Seed.ScalarAsync<long>(PooledAdmin(_database.AdminConnectionString),
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The writer never reached the lock.");
    }

    [Fact]
    public async Task Callbacks_queued_behind_a_transaction_share_one_commit_are_answered_only_after_it_and_are_stored_once_each()
    {
        await using var groupCommit = NewGroupCommit();
        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        await admin.OpenAsync();
        var block = await BlockCallLogsAsync(admin);

        var first = groupCommit.RecordAsync(Incoming(Seed.NewCallSid(), _number), CancellationToken.None);
        await WaitUntilAWriterWaitsOnTheLockAsync();

        // Twenty calls, each delivered twice (Twilio retries), a status and a voicemail for every
        // other one: 50 callbacks, queued while the writer is stuck, so they form the next batch.
        var calls = Enumerable.Range(0, 20).Select(_ => Seed.NewCallSid()).ToArray();
        var queued = new List<(TwilioCallback Callback, Task<IncomingCallRecord?> Answer)>();
        foreach (var (callSid, i) in calls.Select((c, i) => (c, i)))
        {
            var callbacks = new List<TwilioCallback> { Incoming(callSid, _number), Incoming(callSid, _number) };
            if (i % 2 == 0)
            {
                callbacks.Add(Status(callSid, _number, "in-progress", 2));
                callbacks.Add(Recording(callSid, TwilioForms.NewRecordingSid()));
            }
            queued.AddRange(callbacks.Select(c => (c, groupCommit.RecordAsync(c, CancellationToken.None))));
        }

        Assert.False(first.IsCompleted, "answered while its transaction could not have committed");
        Assert.DoesNotContain(queued, q => q.Answer.IsCompleted);
        await block.RollbackAsync();

        await first;
        await Task.WhenAll(queued.Select(q => q.Answer));
        var adminConnection = PooledAdmin(_database.AdminConnectionString);
        Assert.Equal(20L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1)", (object)calls));
        Assert.Equal(20L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_events WHERE call_sid = ANY($1) AND kind = 'incoming-call'", (object)calls));
        Assert.Equal(10L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1) AND status = 'in-progress'", (object)calls));
        Assert.Equal(10L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM voicemail_messages WHERE call_sid = ANY($1)", (object)calls));
        Assert.Equal(10L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM jobs j JOIN voicemail_messages v ON j.dedupe_key = v.id::text WHERE v.call_sid = ANY($1)", (object)calls));
        // One transaction wrote all of them: the rows carry the same creating transaction id.
        Assert.Equal(1L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(DISTINCT xmin::text) FROM call_logs WHERE call_sid = ANY($1)", (object)calls));

        // Each caller got its own call back, not a neighbour's from the same batch.
        foreach (var (callback, answer) in queued.Where(q => q.Callback.Kind != CallbackKind.VoicemailRecorded))
        {
            var record = (await answer)!;
            Assert.Equal(await Seed.ScalarAsync<Guid>(adminConnection, "SELECT id FROM call_logs WHERE call_sid = $1", callback.CallSid), record.CallLogId);
            Assert.True(record.InService);
            Assert.False(record.VoicemailEnabled);
        }
        Assert.All(queued.Where(q => q.Callback.Kind == CallbackKind.VoicemailRecorded), q => Assert.Null(q.Answer.Result));
    }

    // Migration 0170: a status callback before the end changes no column any index of call_logs uses
    // (the open-calls index is keyed by ended_at, no longer by status_rank), so PostgreSQL keeps the
    // new row version on its page without new index entries: a HOT update. Before, none was.
    [Fact]
    public async Task Status_callbacks_before_a_calls_end_are_hot_updates_of_its_call_log()
    {
        var calls = Enumerable.Range(0, 20).Select(_ => Seed.NewCallSid()).ToArray();
        var admin = PooledAdmin(_database.AdminConnectionString);
        // Own connections, closed before reading the statistics: a backend reports them when it exits.
        await using (var dataSource = NpgsqlDataSource.Create(_database.ServiceConnectionString))
        {
            var recorder = new CallbackRecorder(dataSource);
            foreach (var callSid in calls)
            {
                await recorder.RecordCallAsync(Incoming(callSid, _number), CancellationToken.None);
            }
            foreach (var callSid in calls)
            {
                await recorder.RecordCallAsync(Status(callSid, _number, "ringing", 1), CancellationToken.None);
                await recorder.RecordCallAsync(Status(callSid, _number, "in-progress", 2), CancellationToken.None);
            }
        }

        long updated = 0, hot = 0;
        for (var i = 0; i < 150 && updated < 40; i++)
        {
            await Task.Delay(100);
            (updated, hot) = (await Seed.ScalarAsync<long>(admin, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'call_logs'"),
                await Seed.ScalarAsync<long>(admin, "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'call_logs'"));
        }
        Assert.Equal(40L, updated);
        Assert.Equal(20L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1) AND status = 'in-progress' AND ended_at IS NULL", (object)calls));
        // A page with no room left forces a non-HOT update now and then (fillfactor 80 leaves room).
        Assert.True(hot >= 36, $"{hot} of {updated} updates were HOT");
    }

    [Fact]
    public async Task A_callback_the_database_refuses_at_commit_fails_alone_and_its_batch_neighbours_are_stored_once()
    {
        // Refused at COMMIT, after its statement already returned its row: an answer given before
        // the commit succeeded would be a lie, and its neighbours rolled back with it must still land.
        var poison = Seed.NewCallSid();
        await Seed.ExecuteAsync(_database.AdminConnectionString, $"""
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.call_sid = '{poison}' THEN RAISE EXCEPTION 'poisoned call %', NEW.call_sid; END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON call_logs
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison();
            """);
        await using var groupCommit = NewGroupCommit();
        await using var admin = new NpgsqlConnection(_database.AdminConnectionString);
        await admin.OpenAsync();
        var block = await BlockCallLogsAsync(admin);
        var first = groupCommit.RecordAsync(Incoming(Seed.NewCallSid(), _number), CancellationToken.None);
        await WaitUntilAWriterWaitsOnTheLockAsync();

        var calls = Enumerable.Range(0, 15).Select(_ => Seed.NewCallSid()).ToArray();
        var good = calls.SelectMany(c => new[] { Incoming(c, _number), Incoming(c, _number) })
            .Select(c => groupCommit.RecordAsync(c, CancellationToken.None)).ToList();
        var refused = groupCommit.RecordAsync(Incoming(poison, _number), CancellationToken.None);
        await block.RollbackAsync();

        await first;
        await Task.WhenAll(good);
        var error = await Assert.ThrowsAsync<PostgresException>(() => refused);
        Assert.Contains("poisoned call", error.MessageText);
        var adminConnection = PooledAdmin(_database.AdminConnectionString);
        Assert.Equal(15L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1)", (object)calls));
        Assert.Equal(15L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_events WHERE call_sid = ANY($1)", (object)calls));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_logs WHERE call_sid = $1", poison));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(adminConnection, "SELECT count(*) FROM call_events WHERE call_sid = $1", poison));
    }

    [Fact]
    public async Task With_PostgreSQL_unreachable_every_caller_spools_its_own_callback()
    {
        // A port nothing listens on: the batch cannot even connect.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var unreachable = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Username=nobody;Timeout=2");
        await using var groupCommit = NewGroupCommit(unreachable);
        var spoolDirectory = TestPostgres.NewRootDirectory("group-commit-spool");
        var spool = new WebhookSpool(Options.Create(new WebhookSpoolOptions { Directory = spoolDirectory }));
        var recorder = new WebhookRecorder(new CallbackRecorder(unreachable), groupCommit, spool,
            Options.Create(new WebhookRecorderOptions { DatabaseTimeout = TimeSpan.FromSeconds(10) }), NullLogger<WebhookRecorder>.Instance);

        var callbacks = Enumerable.Range(0, 10).Select(_ => Incoming(Seed.NewCallSid(), _number)).ToList();
        var answers = await Task.WhenAll(callbacks.Select(c => recorder.RecordAsync(c, CancellationToken.None)));

        Assert.All(answers, Assert.Null);
        var spooled = new List<string>();
        foreach (var path in await spool.PendingAsync(CancellationToken.None))
        {
            spooled.Add((await spool.ReadAsync(path, CancellationToken.None))!.CallSid);
        }
        Assert.Equal(callbacks.Select(c => c.CallSid).Order(), spooled.Order());
    }
}

/// <summary>
/// A patient database timeout: on a busy machine a webhook could otherwise be spooled (and stored
/// only on replay), which is correct but not what this test looks at.
/// </summary>
public sealed class PatientWebhookApiFixture : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Webhooks__DatabaseTimeout"] = "00:00:09", ["Webhooks__SpoolTimeout"] = "00:00:01" };
}

/// <summary>The same guarantees through the real service under a burst of concurrent webhooks.</summary>
[Trait("Category", "Slow")]
public class GroupCommitBurstTests(PatientWebhookApiFixture api) : IClassFixture<PatientWebhookApiFixture>
{
    [Fact]
    public async Task A_burst_of_concurrent_distinct_and_duplicate_webhooks_stores_each_once_and_each_answer_follows_its_commit()
    {
        var admin = GroupCommitTests.PooledAdmin(api.Admin);
        var workspace = await Seed.WorkspaceAsync(admin);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(admin, workspace, number);
        var calls = Enumerable.Range(0, 60).Select(_ => Seed.NewCallSid()).ToArray();
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);

        // Every call: incoming-call twice and its completed status twice, all at once.
        var requests = calls.SelectMany(callSid => new[]
        {
            ("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, "+14155550100", number)),
            ("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, "+14155550100", number)),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, "+14155550100", number, "completed", 3, at, duration: 12)),
            ("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, "+14155550100", number, "completed", 3, at, duration: 12)),
        }.Select(r => (CallSid: callSid, r.Item1, r.Item2)));
        await Task.WhenAll(requests.Select(async request =>
        {
            using var response = await api.Twilio.PostAsync(request.Item2, request.Item3);
            Assert.True(response.IsSuccessStatusCode, $"{request.Item2} answered {(int)response.StatusCode}");
            // Answered means committed: the call is already there for anyone to read.
            Assert.Equal(1L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM call_logs WHERE call_sid = $1", request.CallSid));
        }));

        Assert.Equal(60L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1) AND status = 'completed' AND duration_seconds = 12", (object)calls));
        Assert.Equal(120L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM call_events WHERE call_sid = ANY($1)", (object)calls));
        Assert.Equal(60L, await Seed.ScalarAsync<long>(admin, "SELECT count(DISTINCT (call_sid, kind, dedupe_key)) FROM call_events WHERE call_sid = ANY($1) AND kind = 'status'", (object)calls));
    }
}
