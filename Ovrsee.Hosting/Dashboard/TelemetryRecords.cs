namespace Ovrsee.Hosting.Dashboard;

public sealed record TelemetryAttribute(string Key, string Value);

public sealed record SpanEventRecord(string Name, long TimeUnixNano, IReadOnlyList<TelemetryAttribute> Attributes);

public sealed record SpanRecord(
    string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, string Service, string Scope,
    long StartUnixNano, long EndUnixNano, string Status, string? StatusMessage,
    IReadOnlyList<TelemetryAttribute> Attributes, IReadOnlyList<SpanEventRecord> Events)
{
    public double DurationMs => (EndUnixNano - StartUnixNano) / 1e6;
}

public sealed record LogEntry(
    long Sequence, long TimeUnixNano, int SeverityNumber, string Level, string Service, string Category, string Message,
    string? TraceId, string? SpanId, IReadOnlyList<TelemetryAttribute> Attributes);

/// <summary>The latest export of one instrument: a sum or gauge's value, or a histogram's count and sum (all attribute sets added up).</summary>
public sealed record MetricRecord(string Service, string Scope, string Name, string Unit, string Description, string Kind, double Value, long? Count, long TimeUnixNano);

public sealed record TraceSummary(string TraceId, string Name, IReadOnlyList<string> Services, long StartUnixNano, double DurationMs, int SpanCount, bool HasError);
