using System.Globalization;

namespace Ovrsee.Hosting.Dashboard.Otlp;

/// <summary>
/// Decodes OTLP/HTTP protobuf export requests (opentelemetry-proto v1: ExportTraceServiceRequest,
/// ExportLogsServiceRequest, ExportMetricsServiceRequest) into the records the dashboard shows.
/// Field numbers are those of the .proto files; everything else is skipped.
/// </summary>
internal static class OtlpDecoder
{
    private static readonly string[] SpanKinds = ["unspecified", "internal", "server", "client", "producer", "consumer"];
    private static readonly string[] StatusCodes = ["unset", "ok", "error"];

    public static List<SpanRecord> Traces(ReadOnlySpan<byte> request) => Decode(request, (item, service, scope) => Span(item, service, scope));

    public static List<LogEntry> Logs(ReadOnlySpan<byte> request) => Decode(request, (item, service, scope) => Log(item, service, scope));

    public static List<MetricRecord> Metrics(ReadOnlySpan<byte> request) => Decode(request, (item, service, scope) => Metric(item, service, scope));

    // Scope{Spans,Logs,Metrics} { InstrumentationScope scope = 1; repeated item = 2 } for all
    // three signals: one walk, with the item decoder as the only difference.
    private static List<T> Decode<T>(ReadOnlySpan<byte> request, Func<byte[], string, string, T> decodeItem)
    {
        var items = new List<T>();
        foreach (var (service, scopes) in ResourceMessages(request))
        {
            foreach (var scopeBytes in scopes)
            {
                var reader = new ProtoReader(scopeBytes);
                var scope = "";
                var messages = new List<byte[]>();
                while (reader.Next())
                {
                    switch (reader.Field)
                    {
                        case 1: scope = ScopeName(reader.ReadBytes()); break;
                        case 2: messages.Add(reader.ReadBytes().ToArray()); break;
                        default: reader.Skip(); break;
                    }
                }
                items.AddRange(messages.Select(message => decodeItem(message, service, scope)));
            }
        }
        return items;
    }

    // Export*ServiceRequest { repeated Resource{Spans,Logs,Metrics} = 1 }, each
    // { Resource resource = 1; repeated Scope{Spans,Logs,Metrics} = 2 }: identical shapes for all three signals.
    private static List<(string Service, List<byte[]> Scopes)> ResourceMessages(ReadOnlySpan<byte> request)
    {
        var result = new List<(string, List<byte[]>)>();
        var reader = new ProtoReader(request);
        while (reader.Next())
        {
            if (reader.Field != 1)
            {
                reader.Skip();
                continue;
            }
            var resource = new ProtoReader(reader.ReadBytes());
            var service = "unknown";
            var scopes = new List<byte[]>();
            while (resource.Next())
            {
                switch (resource.Field)
                {
                    case 1: service = ServiceName(resource.ReadBytes()) ?? service; break;
                    case 2: scopes.Add(resource.ReadBytes().ToArray()); break;
                    default: resource.Skip(); break;
                }
            }
            result.Add((service, scopes));
        }
        return result;
    }

    // Resource { repeated KeyValue attributes = 1 }
    private static string? ServiceName(ReadOnlySpan<byte> resource)
    {
        var reader = new ProtoReader(resource);
        while (reader.Next())
        {
            if (reader.Field != 1)
            {
                reader.Skip();
            }
            else if (KeyValue(reader.ReadBytes()) is { Key: "service.name" } attribute)
            {
                return attribute.Value;
            }
        }
        return null;
    }

    // InstrumentationScope { string name = 1 }
    private static string ScopeName(ReadOnlySpan<byte> scope)
    {
        var reader = new ProtoReader(scope);
        while (reader.Next())
        {
            if (reader.Field == 1)
            {
                return reader.ReadString();
            }
            reader.Skip();
        }
        return "";
    }

    // Span { trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9, events 11, status 15 }
    private static SpanRecord Span(ReadOnlySpan<byte> span, string service, string scope)
    {
        var reader = new ProtoReader(span);
        string traceId = "", spanId = "", name = "", kind = "unspecified", status = "unset";
        string? parent = null, statusMessage = null;
        long start = 0, end = 0;
        var attributes = new List<TelemetryAttribute>();
        var events = new List<SpanEventRecord>();
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: traceId = reader.ReadHex(); break;
                case 2: spanId = reader.ReadHex(); break;
                case 4: parent = reader.ReadHex() is { Length: > 0 } p ? p : null; break;
                case 5: name = reader.ReadString(); break;
                case 6: kind = Lookup(SpanKinds, reader.ReadVarint()); break;
                case 7: start = (long)reader.ReadNumber(); break;
                case 8: end = (long)reader.ReadNumber(); break;
                case 9: attributes.Add(KeyValue(reader.ReadBytes())); break;
                case 11: events.Add(SpanEvent(reader.ReadBytes())); break;
                case 15: (status, statusMessage) = Status(reader.ReadBytes()); break;
                default: reader.Skip(); break;
            }
        }
        return new SpanRecord(traceId, spanId, parent, name, kind, service, scope, start, end, status, statusMessage, attributes, events);
    }

    // Span.Event { time_unix_nano 1, name 2, attributes 3 }
    private static SpanEventRecord SpanEvent(ReadOnlySpan<byte> spanEvent)
    {
        var reader = new ProtoReader(spanEvent);
        var name = "";
        long time = 0;
        var attributes = new List<TelemetryAttribute>();
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: time = (long)reader.ReadNumber(); break;
                case 2: name = reader.ReadString(); break;
                case 3: attributes.Add(KeyValue(reader.ReadBytes())); break;
                default: reader.Skip(); break;
            }
        }
        return new SpanEventRecord(name, time, attributes);
    }

    // Status { message 2, code 3 }
    private static (string Code, string? Message) Status(ReadOnlySpan<byte> status)
    {
        var reader = new ProtoReader(status);
        string code = "unset";
        string? message = null;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 2: message = reader.ReadString(); break;
                case 3: code = Lookup(StatusCodes, reader.ReadVarint()); break;
                default: reader.Skip(); break;
            }
        }
        return (code, string.IsNullOrEmpty(message) ? null : message);
    }

    // LogRecord { time 1, severity_number 2, severity_text 3, body 5, attributes 6, trace_id 9, span_id 10, observed_time 11 }
    private static LogEntry Log(ReadOnlySpan<byte> record, string service, string category)
    {
        var reader = new ProtoReader(record);
        long time = 0, observed = 0;
        var severity = 0;
        string message = "", severityText = "";
        string? traceId = null, spanId = null;
        var attributes = new List<TelemetryAttribute>();
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: time = (long)reader.ReadNumber(); break;
                case 2: severity = (int)reader.ReadVarint(); break;
                case 3: severityText = reader.ReadString(); break;
                case 5: message = AnyValue(reader.ReadBytes()); break;
                case 6: attributes.Add(KeyValue(reader.ReadBytes())); break;
                case 9: traceId = reader.ReadHex() is { Length: > 0 } t ? t : null; break;
                case 10: spanId = reader.ReadHex() is { Length: > 0 } s ? s : null; break;
                case 11: observed = (long)reader.ReadNumber(); break;
                default: reader.Skip(); break;
            }
        }
        var level = severity > 0 ? LevelName(severity) : severityText;
        return new LogEntry(0, time != 0 ? time : observed, severity, level, service, category, message, traceId, spanId, attributes);
    }

    /// <summary>OTLP's severity ranges, named as Microsoft.Extensions.Logging names its levels.</summary>
    public static string LevelName(int severityNumber) => severityNumber switch
    {
        <= 4 => "Trace",
        <= 8 => "Debug",
        <= 12 => "Information",
        <= 16 => "Warning",
        <= 20 => "Error",
        _ => "Critical",
    };

    // Metric { name 1, description 2, unit 3, gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11 }
    private static MetricRecord Metric(ReadOnlySpan<byte> metric, string service, string scope)
    {
        var reader = new ProtoReader(metric);
        string name = "", description = "", unit = "", kind = "other";
        (double Value, long? Count, long Time) data = (0, null, 0);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: name = reader.ReadString(); break;
                case 2: description = reader.ReadString(); break;
                case 3: unit = reader.ReadString(); break;
                case 5: kind = "gauge"; data = NumberPoints(reader.ReadBytes()); break;
                case 7: kind = "sum"; data = NumberPoints(reader.ReadBytes()); break;
                case 9: kind = "histogram"; data = HistogramPoints(reader.ReadBytes(), countField: 4, sumField: 5); break;
                case 10: kind = "histogram"; data = HistogramPoints(reader.ReadBytes(), countField: 4, sumField: 5); break;
                default: reader.Skip(); break;
            }
        }
        return new MetricRecord(service, scope, name, unit, description, kind, data.Value, data.Count, data.Time);
    }

    // Gauge/Sum { repeated NumberDataPoint data_points = 1 }; NumberDataPoint { time 3, as_double 4, as_int 6 }
    private static (double, long?, long) NumberPoints(ReadOnlySpan<byte> container)
    {
        double total = 0;
        long time = 0;
        var reader = new ProtoReader(container);
        while (reader.Next())
        {
            if (reader.Field != 1)
            {
                reader.Skip();
                continue;
            }
            var point = new ProtoReader(reader.ReadBytes());
            while (point.Next())
            {
                switch (point.Field)
                {
                    case 3: time = Math.Max(time, (long)point.ReadNumber()); break;
                    case 4: total += point.ReadDouble(); break;
                    case 6: total += (long)point.ReadNumber(); break;
                    default: point.Skip(); break;
                }
            }
        }
        return (total, null, time);
    }

    // (Exponential)Histogram { repeated *HistogramDataPoint data_points = 1 }; points { time 3, count 4, sum 5 }
    private static (double, long?, long) HistogramPoints(ReadOnlySpan<byte> container, int countField, int sumField)
    {
        double sum = 0;
        long count = 0, time = 0;
        var reader = new ProtoReader(container);
        while (reader.Next())
        {
            if (reader.Field != 1)
            {
                reader.Skip();
                continue;
            }
            var point = new ProtoReader(reader.ReadBytes());
            while (point.Next())
            {
                if (point.Field == 3) time = Math.Max(time, (long)point.ReadNumber());
                else if (point.Field == countField) count += (long)point.ReadNumber();
                else if (point.Field == sumField) sum += point.ReadDouble();
                else point.Skip();
            }
        }
        return (sum, count, time);
    }

    // KeyValue { string key = 1; AnyValue value = 2 }
    private static TelemetryAttribute KeyValue(ReadOnlySpan<byte> keyValue)
    {
        var reader = new ProtoReader(keyValue);
        string key = "", value = "";
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: key = reader.ReadString(); break;
                case 2: value = AnyValue(reader.ReadBytes()); break;
                default: reader.Skip(); break;
            }
        }
        return new TelemetryAttribute(key, value);
    }

    // AnyValue { oneof: string 1, bool 2, int64 3, double 4, ArrayValue 5, KeyValueList 6, bytes 7 }
    private static string AnyValue(ReadOnlySpan<byte> anyValue)
    {
        var reader = new ProtoReader(anyValue);
        var value = "";
        while (reader.Next())
        {
            value = reader.Field switch
            {
                1 => reader.ReadString(),
                2 => reader.ReadVarint() != 0 ? "true" : "false",
                3 => ((long)reader.ReadVarint()).ToString(CultureInfo.InvariantCulture),
                4 => reader.ReadDouble().ToString(CultureInfo.InvariantCulture),
                5 => "[" + string.Join(", ", Repeated(reader.ReadBytes(), AnyValue)) + "]",
                6 => "{" + string.Join(", ", Repeated(reader.ReadBytes(), FormatKeyValue)) + "}",
                7 => Convert.ToBase64String(reader.ReadBytes()),
                _ => SkipTo(ref reader, value),
            };
        }
        return value;
    }

    // ArrayValue and KeyValueList: { repeated … values = 1 }
    private static List<string> Repeated(ReadOnlySpan<byte> container, ItemReader read)
    {
        var items = new List<string>();
        var reader = new ProtoReader(container);
        while (reader.Next())
        {
            if (reader.Field == 1)
            {
                items.Add(read(reader.ReadBytes()));
            }
            else
            {
                reader.Skip();
            }
        }
        return items;
    }

    private delegate string ItemReader(ReadOnlySpan<byte> item);

    private static string FormatKeyValue(ReadOnlySpan<byte> keyValue)
    {
        var attribute = KeyValue(keyValue);
        return $"{attribute.Key}: {attribute.Value}";
    }

    private static string SkipTo(ref ProtoReader reader, string value)
    {
        reader.Skip();
        return value;
    }

    private static string Lookup(string[] names, ulong value) => value < (ulong)names.Length ? names[value] : value.ToString(CultureInfo.InvariantCulture);
}
