namespace Ovrsee.Hosting.Dashboard;

/// <summary>
/// What the services sent over OTLP, in memory and bounded: the newest traces, log records and
/// each instrument's latest value. The oldest go first; a long session never grows without limit.
/// </summary>
public sealed class TelemetryStore(int maxTraces = 2000, int maxSpansPerTrace = 1000, int maxLogs = 10_000)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<SpanRecord>> _traces = [];
    private readonly Queue<string> _traceOrder = new();
    private readonly Queue<LogEntry> _logs = new();
    private readonly Dictionary<(string Service, string Name), MetricRecord> _metrics = [];
    private long _logSequence;

    public void AddSpans(IEnumerable<SpanRecord> spans)
    {
        lock (_lock)
        {
            foreach (var span in spans)
            {
                if (!_traces.TryGetValue(span.TraceId, out var trace))
                {
                    _traces[span.TraceId] = trace = [];
                    _traceOrder.Enqueue(span.TraceId);
                    if (_traceOrder.Count > maxTraces)
                    {
                        _traces.Remove(_traceOrder.Dequeue());
                    }
                }
                if (trace.Count < maxSpansPerTrace)
                {
                    trace.Add(span);
                }
            }
        }
    }

    public void AddLogs(IEnumerable<LogEntry> logs)
    {
        lock (_lock)
        {
            foreach (var log in logs)
            {
                _logs.Enqueue(log with { Sequence = ++_logSequence });
                if (_logs.Count > maxLogs)
                {
                    _logs.Dequeue();
                }
            }
        }
    }

    public void AddMetrics(IEnumerable<MetricRecord> metrics)
    {
        lock (_lock)
        {
            foreach (var metric in metrics)
            {
                _metrics[(metric.Service, metric.Name)] = metric;
            }
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<TraceSummary> Traces(int limit = 200, string? service = null)
    {
        lock (_lock)
        {
            return _traces.Values
                .Where(spans => service is null || spans.Any(s => s.Service == service))
                .Select(Summarize)
                .OrderByDescending(t => t.StartUnixNano)
                .Take(limit)
                .ToList();
        }
    }

    /// <summary>The trace's spans in start order; empty when unknown or evicted.</summary>
    public IReadOnlyList<SpanRecord> Trace(string traceId)
    {
        lock (_lock)
        {
            return _traces.TryGetValue(traceId, out var spans) ? [.. spans.OrderBy(s => s.StartUnixNano)] : [];
        }
    }

    /// <summary>Log records after <paramref name="afterSequence"/> at or above a severity, oldest first.</summary>
    public IReadOnlyList<LogEntry> Logs(long afterSequence = 0, int minSeverity = 0, string? service = null, int limit = 1000)
    {
        lock (_lock)
        {
            return _logs
                .Where(l => l.Sequence > afterSequence && l.SeverityNumber >= minSeverity && (service is null || l.Service == service))
                .TakeLast(limit)
                .ToList();
        }
    }

    public IReadOnlyList<MetricRecord> Metrics()
    {
        lock (_lock)
        {
            return [.. _metrics.Values.OrderBy(m => m.Service).ThenBy(m => m.Name)];
        }
    }

    private static TraceSummary Summarize(List<SpanRecord> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        // The root, or while it has not arrived yet, the earliest span whose parent is elsewhere.
        var root = spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId))
            .OrderBy(s => s.ParentSpanId is null ? 0 : 1).ThenBy(s => s.StartUnixNano).First();
        var start = spans.Min(s => s.StartUnixNano);
        return new TraceSummary(
            root.TraceId,
            root.Name,
            [.. spans.OrderBy(s => s.StartUnixNano).Select(s => s.Service).Distinct()],
            start,
            (spans.Max(s => s.EndUnixNano) - start) / 1e6,
            spans.Count,
            spans.Any(s => s.Status == "error"));
    }
}
