using System.Diagnostics;
using Npgsql;

namespace Ovrsee.Benchmarks;

/// <summary>The database's own ceiling for what a webhook does: one single-row INSERT committed per request.</summary>
public static class RawInsertRate
{
    public static async Task<double> MeasureAsync(string connectionString, int concurrency, TimeSpan duration)
    {
        // Pooled like the services' connections, so the figure is the database's, not connection set-up's.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = true, MaxPoolSize = concurrency,
        }.ConnectionString);
        await using (var create = dataSource.CreateCommand(
            "CREATE TABLE IF NOT EXISTS bench_inserts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), call_sid text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"))
        {
            await create.ExecuteNonQueryAsync();
        }

        long inserted = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (stopwatch.Elapsed < duration)
            {
                await using var command = dataSource.CreateCommand("INSERT INTO bench_inserts (call_sid, payload) VALUES ($1, $2::jsonb)");
                command.Parameters.Add(new NpgsqlParameter { Value = "CA" + Guid.NewGuid().ToString("N") });
                command.Parameters.Add(new NpgsqlParameter { Value = """{"CallStatus":"ringing","From":"+14155550100","To":"+15005550006"}""" });
                await command.ExecuteNonQueryAsync();
                Interlocked.Increment(ref inserted);
            }
        })));
        return inserted / stopwatch.Elapsed.TotalSeconds;
    }
}
