using System.Globalization;
using System.Text.RegularExpressions;

namespace Ovrsee.Benchmarks;

/// <summary>
/// The database's own ceiling: pgbench committing one single-row INSERT per transaction into a
/// table shaped like the seed's calls table, with the same number of connections as the HTTP
/// load. Latencies come from pgbench's per-transaction log.
/// </summary>
public static partial class PgBenchCeiling
{
    public const string Table = "pgbench_calls";

    public static string CreateTableSql =>
        $"CREATE TABLE {Table} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), call_sid text NOT NULL UNIQUE, account_sid text, from_number text, to_number text, status text, created_at timestamptz NOT NULL DEFAULT now())";

    public static async Task<LoadFigures> RunAsync(ThrowawayPostgres postgres, string database, int connections, TimeSpan duration, string workDirectory)
    {
        var script = Path.Combine(workDirectory, "insert.sql");
        await File.WriteAllTextAsync(script, $"""
            INSERT INTO {Table} (call_sid, account_sid, from_number, to_number, status) VALUES ('CA' || md5(random()::text || clock_timestamp()::text), 'AC00000000000000000000000000000000', '+14155551234', '+15005550006', 'ringing');

            """);
        var logPrefix = Path.Combine(workDirectory, $"pgbench-{Guid.NewGuid():N}");
        var output = await ChildProcess.RunAsync(Path.Combine(ThrowawayPostgres.BinDirectory, "pgbench"),
        [
            "-n", "-M", "prepared", "-c", connections.ToString(CultureInfo.InvariantCulture), "-j", "2",
            "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-f", script, "-l", "--log-prefix", logPrefix, database,
        ]);
        var transactions = long.Parse(ProcessedPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var failed = FailedPattern().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var tps = double.Parse(TpsPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);

        // Per-transaction log: client_id transaction_no time(µs) script_no time_epoch time_us
        var latencies = new List<double>();
        foreach (var file in Directory.EnumerateFiles(workDirectory, Path.GetFileName(logPrefix) + "*"))
        {
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(' ');
                if (fields.Length > 2 && double.TryParse(fields[2], CultureInfo.InvariantCulture, out var micros))
                {
                    latencies.Add(micros / 1000.0);
                }
            }
            File.Delete(file);
        }
        var sorted = latencies.Order().ToArray();
        return new LoadFigures("pgbench single-row INSERT", transactions, failed, TimeSpan.FromSeconds(transactions / tps),
            SignedRequestLoad.Percentile(sorted, 0.50), SignedRequestLoad.Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1]);
    }

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex ProcessedPattern();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex FailedPattern();

    [GeneratedRegex(@"tps = ([\d.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();
}
