using System.Collections.Concurrent;

namespace Ovrsee.Benchmarks;

/// <summary>Every request's latency per endpoint; percentiles are computed once at the end.</summary>
public sealed class LatencyRecorder
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _latencies = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();

    public void Record(string endpoint, double milliseconds, bool ok)
    {
        _latencies.GetOrAdd(endpoint, _ => []).Add(milliseconds);
        if (!ok)
        {
            _errors.AddOrUpdate(endpoint, 1, (_, n) => n + 1);
        }
    }

    public int TotalErrors => _errors.Values.Sum();

    public void Print(TimeSpan elapsed)
    {
        Console.WriteLine($"{"endpoint",-24} {"requests",9} {"req/s",9} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"errors",7}");
        var all = new List<double>();
        foreach (var (endpoint, bag) in _latencies.OrderBy(e => e.Key))
        {
            var sorted = bag.Order().ToArray();
            all.AddRange(sorted);
            PrintRow(endpoint, sorted, elapsed, _errors.GetValueOrDefault(endpoint));
        }
        PrintRow("all webhooks", [.. all.Order()], elapsed, TotalErrors);
    }

    private static void PrintRow(string name, double[] sorted, TimeSpan elapsed, int errors) =>
        Console.WriteLine($"{name,-24} {sorted.Length,9} {sorted.Length / elapsed.TotalSeconds,9:F0} {Percentile(sorted, 0.50),8:F2} {Percentile(sorted, 0.95),8:F2} {Percentile(sorted, 0.99),8:F2} {(sorted.Length == 0 ? 0 : sorted[^1]),8:F2} {errors,7}");

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
