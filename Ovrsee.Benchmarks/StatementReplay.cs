using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.WebhookApi.AlohaStream;
using Ovrsee.WebhookApi.Routing;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Benchmarks;

/// <summary>
/// What PostgreSQL spends per webhook, without HTTP or the load generator (`replay`): the service's
/// own <see cref="CallbackRecorder"/> (its RecordCallSql, routing and group-commit batch, not a
/// copy) writes unique incoming calls in batches the size a group commit forms, against a
/// throwaway cluster. Each schema variant gets a database of its own in that cluster (the
/// migrations, a prefill of existing calls and events, then the variant's SQL, as a migration
/// would meet an existing install); rounds take the variants in turn, rotating who goes first, so
/// before and after are measured side by side. Per call: PostgreSQL's CPU (all its processes, and
/// the writing backends alone, from /proc), WAL records, full-page images and bytes (pg_stat_wal),
/// and the statement's mean execution and planning time (pg_stat_statements).
/// </summary>
public static class StatementReplay
{
    public sealed record Variant(string Name, string? Sql);

    private sealed record RoundFigures(string Variant, int Calls, double Seconds, double PostgresCpu, double BackendCpu,
        long WalRecords, long WalFpi, decimal WalBytes, double StatementMean, double PlanMean, long Plans, long StatementCalls);

    public static async Task<int> RunAsync(IReadOnlyList<Variant> variants, int calls, int batchSize, int writers, int rounds, int prefillCalls, bool checkpoint, bool statements)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"Plan: {rounds} round(s); per variant and round {calls} incoming calls in batches of {batchSize} on {writers} writer(s); " +
            $"prefill {prefillCalls} calls per database; {(checkpoint ? "CHECKPOINT before each measurement" : "no checkpoint")}");
        await using var postgres = await ThrowawayPostgres.StartAsync(BenchmarkStack.FreePort(), PgStatements.ServerOptions);
        var databases = new List<(Variant Variant, string Database, NpgsqlDataSource DataSource, CallbackRecorder Recorder)>();
        try
        {
            // One prefilled database, copied for each variant (CREATE DATABASE … TEMPLATE copies its files).
            Console.WriteLine($"Migrations and a prefill of {prefillCalls} calls...");
            await postgres.CreateOvrseeDatabaseAsync("replay_template");
            await PgStatements.CreateExtensionAsync(postgres, "replay_template");
            await postgres.ExecuteAsync("replay_template", $"""
                WITH w AS (INSERT INTO workspaces (name) VALUES ('Replay') RETURNING id)
                INSERT INTO user_phone_numbers (workspace_id, phone_number) SELECT id, '{BenchmarkStack.Number}' FROM w
                """);
            await PrefillAsync(postgres, "replay_template", prefillCalls);
            NpgsqlConnection.ClearAllPools();
            foreach (var variant in variants)
            {
                var database = "replay_" + variant.Name.Replace('-', '_');
                await postgres.ExecuteAsync("postgres", $"CREATE DATABASE {database} TEMPLATE replay_template");
                NpgsqlConnection.ClearAllPools();
                if (variant.Sql is not null)
                {
                    Console.WriteLine($"{variant.Name}: applying its SQL...");
                    await postgres.ExecuteAsync(database, variant.Sql);
                }
                await postgres.ExecuteAsync(database, "VACUUM ANALYZE");
                // As the service connects: its login, statements prepared per connection.
                var builder = new NpgsqlConnectionStringBuilder(postgres.ConnectionString(database, ThrowawayPostgres.ServiceLogin, writers))
                {
                    MaxAutoPrepare = 32, ApplicationName = "replay",
                };
                var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
                var routing = new CallRouting(TimeProvider.System,
                    new StreamTimeline(dataSource, Options.Create(new AlohaStreamOptions()), NullLogger<StreamTimeline>.Instance));
                databases.Add((variant, database, dataSource, new CallbackRecorder(dataSource, routing)));
            }

            var results = new List<RoundFigures>();
            for (var round = 1; round <= rounds; round++)
            {
                Console.WriteLine();
                Console.WriteLine($"Round {round}/{rounds}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
                var order = databases.Skip((round - 1) % databases.Count).Concat(databases.Take((round - 1) % databases.Count));
                foreach (var (variant, database, dataSource, recorder) in order)
                {
                    // Warm-up: every writer's connection open and its statements prepared.
                    await WriteAsync(recorder, writers * batchSize * 4, batchSize, writers);
                    if (checkpoint)
                    {
                        await postgres.ExecuteAsync(database, "CHECKPOINT");
                    }
                    var figures = await MeasureAsync(postgres, database, dataSource, recorder, variant.Name, calls, batchSize, writers, statements);
                    results.Add(figures);
                    Print(figures);
                }
            }

            Console.WriteLine();
            Console.WriteLine("Medians over the rounds, per incoming call:");
            Console.WriteLine($"| {"variant",-24} | {"PG CPU ms",9} | {"backend ms",10} | {"WAL records",11} | {"FPI",6} | {"WAL bytes",9} | {"stmt ms/call",12} | {"plan mean ms",12} | {"plans/stmt",10} | {"calls/s",8} |");
            foreach (var group in results.GroupBy(r => r.Variant))
            {
                double Median(Func<RoundFigures, double> value)
                {
                    var sorted = group.Select(value).Order().ToArray();
                    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {group.Key,-24} | {Median(r => r.PostgresCpu * 1000 / r.Calls),9:F3} | {Median(r => r.BackendCpu * 1000 / r.Calls),10:F3} | {Median(r => (double)r.WalRecords / r.Calls),11:F1} | {Median(r => (double)r.WalFpi / r.Calls),6:F2} | {Median(r => (double)r.WalBytes / r.Calls),9:F0} | {Median(r => r.StatementMean),12:F3} | {Median(r => r.PlanMean),12:F3} | {Median(r => (double)r.Plans / Math.Max(r.StatementCalls, 1)),10:F3} | {Median(r => r.Calls / r.Seconds),8:F0} |"));
            }
            return 0;
        }
        finally
        {
            foreach (var (_, _, dataSource, _) in databases)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    private static void Print(RoundFigures r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {r.Variant,-24} {r.Calls} calls in {r.Seconds:F1} s ({r.Calls / r.Seconds:F0}/s): PostgreSQL CPU {r.PostgresCpu * 1000 / r.Calls:F3} ms/call (backends {r.BackendCpu * 1000 / r.Calls:F3}), " +
        $"WAL {(double)r.WalRecords / r.Calls:F1} records, {(double)r.WalFpi / r.Calls:F2} FPI, {(double)r.WalBytes / r.Calls:F0} bytes per call; " +
        $"RecordCallSql {r.StatementMean:F3} ms per call, planning {r.PlanMean:F3} ms ({r.Plans} plans / {r.StatementCalls} executions)"));

    private static async Task<RoundFigures> MeasureAsync(ThrowawayPostgres postgres, string database, NpgsqlDataSource dataSource, CallbackRecorder recorder,
        string variant, int calls, int batchSize, int writers, bool statements)
    {
        await postgres.ExecuteAsync(database, "SELECT pg_stat_statements_reset()", "SELECT pg_stat_reset_shared('wal')");
        var backends = await BackendPidsAsync(postgres, database);
        var postgresCpu = ResourceMeter.PostgresCpuSeconds(postgres.PostmasterPid);
        var backendCpu = backends.Sum(ResourceMeter.CpuSeconds);
        var clock = Stopwatch.StartNew();
        await WriteAsync(recorder, calls, batchSize, writers);
        var seconds = clock.Elapsed.TotalSeconds;
        // The backends' own CPU first: reading the statistics below costs PostgreSQL CPU too.
        backendCpu = backends.Sum(ResourceMeter.CpuSeconds) - backendCpu;
        postgresCpu = ResourceMeter.PostgresCpuSeconds(postgres.PostmasterPid) - postgresCpu;

        await using var connection = new NpgsqlConnection(postgres.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT w.wal_records, w.wal_fpi, w.wal_bytes,
                   -- Per call: one execution writes a batch's calls (#15) and returns a row for each.
                   coalesce(s.total_exec_time / nullif(s.rows, 0), 0), coalesce(s.mean_plan_time, 0), coalesce(s.plans, 0), coalesce(s.calls, 0)
            FROM pg_stat_wal w
            LEFT JOIN pg_stat_statements s
              ON s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.toplevel
             AND s.query LIKE 'WITH input AS%'
            """, connection);
        if (statements)
        {
            await PrintStatementsAsync(connection, calls);
        }
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new RoundFigures(variant, calls, seconds, postgresCpu, backendCpu, reader.GetInt64(0), reader.GetInt64(1), reader.GetDecimal(2),
            reader.GetDouble(3), reader.GetDouble(4), reader.GetInt64(5), reader.GetInt64(6));
    }

    /// <summary>Every statement's share per call, nested ones (foreign-key checks, functions) on lines of their own.</summary>
    private static async Task PrintStatementsAsync(NpgsqlConnection connection, int calls)
    {
        await using var command = new NpgsqlCommand("""
            SELECT toplevel, calls, total_exec_time, wal_records, regexp_replace(left(query, 120), '\s+', ' ', 'g')
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time DESC LIMIT 10
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"      {(reader.GetBoolean(0) ? "top" : "nested"),-6} {(double)reader.GetInt64(1) / calls,6:F2}/call {reader.GetDouble(2) / calls,7:F4} ms/call {(double)reader.GetInt64(3) / calls,5:F1} WAL rec/call  {reader.GetString(4)}"));
        }
    }

    private static async Task<int[]> BackendPidsAsync(ThrowawayPostgres postgres, string database)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = 'replay' AND datname = current_database()", connection);
        var pids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            pids.Add(reader.GetInt32(0));
        }
        return [.. pids];
    }

    /// <summary>Unique incoming calls, <paramref name="writers"/> batches in flight at a time, as the group commit's writers.</summary>
    private static async Task WriteAsync(CallbackRecorder recorder, int calls, int batchSize, int writers)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
        {
            var batch = new List<TwilioCallback>(batchSize);
            while (true)
            {
                batch.Clear();
                while (batch.Count < batchSize && Interlocked.Increment(ref next) is var i && i < calls)
                {
                    // Random, like Twilio's (CA + 32 hex digits): sequential ones would put every
                    // insert into the CallSid-keyed indexes on their last page.
                    var callSid = "CA" + Guid.NewGuid().ToString("N");
                    batch.Add(new TwilioCallback(CallbackKind.IncomingCall,
                        WebhookForms.IncomingCall(callSid, "+14155550100", BenchmarkStack.Number), DateTimeOffset.UtcNow));
                }
                if (batch.Count == 0)
                {
                    return;
                }
                // The group commit's order: by CallSid.
                batch.Sort(static (a, b) => string.CompareOrdinal(a.CallSid, b.CallSid));
                await recorder.RecordManyAsync(batch, CancellationToken.None);
            }
        }));
    }

    /// <summary>
    /// Calls already stored, as an install that has been running meets a migration: completed
    /// calls with two timeline entries and three domain events each (ringing, routed, completed),
    /// in transactions of 10,000 calls, with random ids as every install had before migration 0150
    /// (with time-ordered ones, random new ids would land after all of them: append-only too).
    /// </summary>
    private static async Task PrefillAsync(ThrowawayPostgres postgres, string database, int prefillCalls)
    {
        for (var start = 0; start < prefillCalls; start += 10_000)
        {
            var end = Math.Min(prefillCalls, start + 10_000) - 1;
            await postgres.ExecuteAsync(database, $"""
                WITH number AS (SELECT id, workspace_id FROM user_phone_numbers LIMIT 1),
                calls AS (
                    INSERT INTO call_logs (id, workspace_id, phone_number_id, call_sid, account_sid, from_number, to_number, direction,
                                           status, status_rank, status_sequence, started_at, answered_at, ended_at, duration_seconds,
                                           event_seq, announced, created_at)
                    SELECT gen_random_uuid(), n.workspace_id, n.id, 'CA' || md5(random()::text || i), '{WebhookForms.AccountSid}', '+14155550100', '{BenchmarkStack.Number}', 'inbound',
                           'completed', 9, 3, now() - interval '1 hour', now() - interval '59 minutes', now() - interval '58 minutes', 60,
                           12, 15, now() - interval '1 hour'
                    FROM number n, generate_series({start}, {end}) AS i
                    RETURNING id, workspace_id, call_sid, started_at
                ),
                timeline AS (
                    INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
                    SELECT c.id, c.workspace_id, c.call_sid, e.kind, e.status, c.started_at, e.dedupe_key, jsonb_build_object('CallSid', c.call_sid, 'CallStatus', e.status)
                    FROM calls c, (VALUES ('incoming-call', 'ringing', 'incoming-call'), ('status', 'completed', 'completed')) AS e (kind, status, dedupe_key)
                )
                INSERT INTO domain_events (id, workspace_id, call_log_id, call_seq, type, occurred_at, data)
                SELECT gen_random_uuid(), c.workspace_id, c.id, e.seq, e.type, c.started_at, jsonb_build_object('callSid', c.call_sid, 'from', '+14155550100', 'to', '{BenchmarkStack.Number}')
                FROM calls c, (VALUES (1, 'call.ringing'), (2, 'call.routed'), (8, 'call.completed')) AS e (seq, type)
                """);
        }
    }
}
