using System.Globalization;
using Npgsql;

namespace Ovrsee.Benchmarks;

/// <summary>
/// Where PostgreSQL's time goes for one target (`compare --pg-stats`): the cluster is started with
/// pg_stat_statements (track = all, so the foreign keys' RI checks and other nested statements show
/// up with their own line; nested lines are also inside their top-level statement's time), and
/// around each target the statement, WAL, SLRU and transaction counters are reset and read back,
/// while pg_stat_activity is sampled for what backends wait on. Everything per request.
/// </summary>
public sealed class PgStatements : IAsyncDisposable
{
    public const string ServerOptions = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.max=1000 -c pg_stat_statements.track_planning=on -c track_io_timing=on";

    private readonly ThrowawayPostgres _postgres;
    private readonly string _database;
    private readonly Dictionary<string, int> _waits = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _sampler;
    private int _samples;

    private PgStatements(ThrowawayPostgres postgres, string database) => (_postgres, _database) = (postgres, database);

    public static async Task CreateExtensionAsync(ThrowawayPostgres postgres, string database) =>
        await postgres.ExecuteAsync(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

    /// <summary>Resets every counter this report reads, then samples wait events until disposed.</summary>
    public static async Task<PgStatements> StartAsync(ThrowawayPostgres postgres, string database)
    {
        await postgres.ExecuteAsync(database,
            "SELECT pg_stat_statements_reset()",
            "SELECT pg_stat_reset_shared('wal')",
            "SELECT pg_stat_reset_slru(NULL)",
            "SELECT pg_stat_reset()");
        var stats = new PgStatements(postgres, database);
        stats._sampler = Task.Run(stats.SampleWaitsAsync);
        return stats;
    }

    private async Task SampleWaitsAsync()
    {
        await using var connection = new NpgsqlConnection(_postgres.ConnectionString(_database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()",
            connection);
        while (!_stop.IsCancellationRequested)
        {
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var wait = reader.GetString(0);
                    _waits[wait] = _waits.GetValueOrDefault(wait) + 1;
                }
            }
            _samples++;
            try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Prints the target's statements (top by total time), WAL, MultiXact SLRU and waits, per request.</summary>
    public async Task PrintAsync(string target, long requests, int top = 12)
    {
        await _stop.CancelAsync();
        if (_sampler is not null)
        {
            await _sampler;
        }
        var perRequest = requests == 0 ? double.NaN : 1.0 / requests;
        await using var connection = new NpgsqlConnection(_postgres.ConnectionString(_database));
        await connection.OpenAsync();
        Console.WriteLine();
        Console.WriteLine($"PostgreSQL for {target} ({requests} requests):");

        await using (var command = new NpgsqlCommand("""
            SELECT wal_records, wal_fpi, wal_bytes,
                   (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
                   (SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables),
                   (SELECT coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables)
            FROM pg_stat_wal
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  per request: WAL {(double)reader.GetDecimal(2) * perRequest:F0} bytes in {reader.GetInt64(0) * perRequest:F1} records ({reader.GetInt64(1) * perRequest:F2} full-page images), {reader.GetInt64(3) * perRequest:F3} commits; updates {reader.GetDecimal(4)} of which HOT {reader.GetDecimal(5)}"));
        }

        await using (var command = new NpgsqlCommand(
            "SELECT name, blks_zeroed, blks_hit, blks_read, blks_written FROM pg_stat_slru WHERE name LIKE 'MultiXact%' OR name = 'Notify'", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var parts = new List<string>();
            while (await reader.ReadAsync())
            {
                parts.Add($"{reader.GetString(0)} zeroed {reader.GetInt64(1)} hit {reader.GetInt64(2)} read {reader.GetInt64(3)} written {reader.GetInt64(4)}");
            }
            Console.WriteLine("  SLRU: " + string.Join("; ", parts));
        }

        Console.WriteLine($"  top statements by total time (track = all: nested lines are also inside their caller's):");
        Console.WriteLine($"  | {"level",-6} | {"calls/req",9} | {"total ms/req",12} | {"mean ms",8} | {"rows/call",9} | {"blks dirtied/req",16} | {"WAL B/req",9} | {"plans/call",10} | {"plan ms",7} | statement");
        await using (var command = new NpgsqlCommand("""
            SELECT toplevel, calls, total_exec_time, mean_exec_time, rows, shared_blks_dirtied, wal_bytes,
                   plans, mean_plan_time, regexp_replace(left(query, 4000), '\s+', ' ', 'g')
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_activity%'
            ORDER BY total_exec_time DESC
            LIMIT $1
            """, connection))
        {
            command.Parameters.AddWithValue(top);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var calls = reader.GetInt64(1);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  | {(reader.GetBoolean(0) ? "top" : "nested"),-6} | {calls * perRequest,9:F3} | {reader.GetDouble(2) * perRequest,12:F4} | {reader.GetDouble(3),8:F4} | {(double)reader.GetInt64(4) / Math.Max(calls, 1),9:F2} | {reader.GetInt64(5) * perRequest,16:F3} | {(double)reader.GetDecimal(6) * perRequest,9:F0} | {(double)reader.GetInt64(7) / Math.Max(calls, 1),10:F3} | {reader.GetDouble(8),7:F3} | {Shorten(reader.GetString(9))}"));
            }
        }

        var sampled = _waits.Values.Sum();
        var waits = string.Join(", ", _waits.OrderByDescending(w => w.Value).Take(10)
            .Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Key} {100.0 * w.Value / Math.Max(sampled, 1):F0} %")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  active backends by wait ({_samples} samples, {(double)sampled / Math.Max(_samples, 1):F2} active on average): {waits}"));
    }

    // The statements are long CTEs: their start and the part that names what they write are enough to tell them apart.
    private static string Shorten(string query)
    {
        if (query.Length <= 140)
        {
            return query;
        }
        var inserts = System.Text.RegularExpressions.Regex.Matches(query, @"(INSERT INTO|UPDATE|DELETE FROM|FOR KEY SHARE OF|FOR UPDATE OF) \w+")
            .Select(m => m.Value).Distinct();
        return query[..100] + " … [" + string.Join(", ", inserts) + "]";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            if (_sampler is not null)
            {
                await _sampler;
            }
        }
        _stop.Dispose();
    }
}
