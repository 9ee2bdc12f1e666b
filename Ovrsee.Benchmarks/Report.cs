using System.Globalization;

namespace Ovrsee.Benchmarks;

public static class Report
{
    /// <summary>One run's table: every target measured back to back on the same server, then the ratios.</summary>
    public static void PrintSideBySide(IReadOnlyList<(LoadFigures Load, ResourceFigures Resources, long Stored)> rows)
    {
        Console.WriteLine($"| {"target",-48} | {"req/s",7} | {"p50 ms",7} | {"p99 ms",7} | {"max ms",7} | {"errors",6} | {"rows stored",11} | {"server CPU ms/req",17} | {"PostgreSQL CPU ms/req",21} | {"peak RSS MB",11} | {"peak GC heap MB",15} |");
        Console.WriteLine($"| {new string('-', 48)} | ------: | ------: | ------: | ------: | -----: | ----------: | ----------------: | --------------------: | ----------: | --------------: |");
        foreach (var (load, resources, stored) in rows)
        {
            var perRequest = load.Requests == 0 ? double.NaN : 1000.0 / load.Requests;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {load.Target,-48} | {load.PerSecond,7:F0} | {load.P50,7:F1} | {load.P99,7:F1} | {load.Max,7:F1} | {load.Errors,6} | {stored,11} | {Cpu(resources.ServerCpuSeconds * perRequest),17} | {Cpu(resources.PostgresCpuSeconds * perRequest),21} | {Megabytes(resources.PeakRssBytes),11} | {Megabytes(resources.PeakGcHeapBytes),15} |"));
        }
        var peer = rows.FirstOrDefault(r => r.Load.Target.StartsWith("seed", StringComparison.Ordinal)).Load;
        var pgbench = rows[^1].Load;
        foreach (var (load, _, _) in rows.Where(r => r.Load.Target.StartsWith("WebhookApi", StringComparison.Ordinal)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{load.Target}: {load.PerSecond / peer!.PerSecond:F2}x the seed stack, {load.PerSecond / pgbench.PerSecond:P0} of pgbench's single-row INSERT rate"));
        }
    }

    private static string Cpu(double milliseconds) => double.IsNaN(milliseconds) ? "-" : milliseconds.ToString("F3", CultureInfo.InvariantCulture);

    private static string Megabytes(long? bytes) => bytes is null or 0 ? "-" : (bytes.Value / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);
}
