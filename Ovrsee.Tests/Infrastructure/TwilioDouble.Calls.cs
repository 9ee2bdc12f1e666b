using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// The double's call history: the Calls and Recordings list endpoints (filters, paging with
/// next_page_uri as Twilio pages), a call's fetch, and a call's update (a redirect with Twiml or Url,
/// which Twilio refuses with 21220 unless the call is live), from state a test puts there.
/// </summary>
public sealed partial class TwilioDouble
{
    private readonly ConcurrentDictionary<string, DoubleCall> _calls = new();
    private readonly ConcurrentDictionary<string, DoubleRecording> _recordings = new();

    public DoubleCall AddCall(DoubleCall call)
    {
        _calls[call.Sid] = call;
        return call;
    }

    public DoubleRecording AddRecording(DoubleRecording recording)
    {
        _recordings[recording.Sid] = recording;
        return recording;
    }

    /// <summary>Every POST to a call instance (…/Calls/{CallSid}.json), refused or not.</summary>
    public IReadOnlyList<RecordedRequest> CallUpdates =>
        [.. Requests.Where(r => r.Method == "POST" && CallPath().IsMatch(r.Path))];

    public IReadOnlyList<RecordedRequest> CallHistoryRequests =>
        [.. Requests.Where(r => r.Method == "GET" && (r.Path.Contains("/Calls", StringComparison.Ordinal) || r.Path.EndsWith("/Recordings.json", StringComparison.Ordinal)))];

    private (int Status, string? Body)? ActOnCallHistory(RecordedRequest request)
    {
        if (request.Method == "DELETE" && RecordingPath().Match(request.Path) is { Success: true } deleted)
        {
            return _recordings.TryRemove(deleted.Groups["sid"].Value, out _)
                ? (204, null)
                : (404, TwilioError(20404, $"The requested resource {request.Path} was not found", 404));
        }
        if (request.Method == "POST" && CallPath().Match(request.Path) is { Success: true } updated)
        {
            if (!_calls.TryGetValue(updated.Groups["sid"].Value, out var live))
            {
                return (404, TwilioError(20404, $"The requested resource {request.Path} was not found", 404));
            }
            if (live.Status is not ("queued" or "ringing" or "in-progress"))
            {
                return (400, TwilioError(21220, "Call is not in-progress. Cannot redirect.", 400));
            }
            live.Updates.Enqueue(request.Form);
            return (200, JsonSerializer.Serialize(CallResource(live)));
        }
        if (request.Method != "GET")
        {
            return null;
        }
        if (CallsPath().IsMatch(request.Path))
        {
            var to = request.Query.GetValueOrDefault("To");
            var after = Date(request.Query.GetValueOrDefault("StartTime>"));
            var calls = _calls.Values
                .Where(c => to is null || c.To == to)
                .Where(c => after is null || c.StartTime >= after)
                .OrderByDescending(c => c.StartTime).ThenBy(c => c.Sid, StringComparer.Ordinal)
                .Select(CallResource);
            return (200, PageOf("calls", calls, request));
        }
        if (CallPath().Match(request.Path) is { Success: true } one)
        {
            return _calls.TryGetValue(one.Groups["sid"].Value, out var call)
                ? (200, JsonSerializer.Serialize(CallResource(call)))
                : (404, TwilioError(20404, $"The requested resource {request.Path} was not found", 404));
        }
        if (RecordingsPath().IsMatch(request.Path))
        {
            var after = Date(request.Query.GetValueOrDefault("DateCreated>"));
            var recordings = _recordings.Values
                .Where(r => after is null || r.DateCreated >= after)
                .OrderByDescending(r => r.DateCreated).ThenBy(r => r.Sid, StringComparer.Ordinal)
                .Select(RecordingResource);
            return (200, PageOf("recordings", recordings, request));
        }
        return null;
    }

    /// <summary>One page, Twilio's shape: page, page_size, uri, first/next/previous_page_uri.</summary>
    private static string PageOf(string key, IEnumerable<object> all, RecordedRequest request)
    {
        var size = int.TryParse(request.Query.GetValueOrDefault("PageSize"), out var s) ? Math.Clamp(s, 1, 1000) : 50;
        var number = int.TryParse(request.Query.GetValueOrDefault("Page"), out var p) ? p : 0;
        var items = all.Skip(number * size).Take(size + 1).ToList();
        string Uri(int page)
        {
            var query = request.Query.Where(q => q.Key is not ("Page" or "PageToken" or "PageSize"))
                .Select(q => $"{System.Uri.EscapeDataString(q.Key)}={System.Uri.EscapeDataString(q.Value)}")
                .Append($"PageSize={size}").Append($"Page={page}");
            if (page > 0)
            {
                query = query.Append($"PageToken=PA{page * size}");
            }
            return request.Path + "?" + string.Join('&', query);
        }
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            [key] = items.Take(size),
            ["page"] = number,
            ["page_size"] = size,
            ["start"] = number * size,
            ["end"] = number * size + Math.Min(items.Count, size) - 1,
            ["uri"] = Uri(number),
            ["first_page_uri"] = Uri(0),
            ["next_page_uri"] = items.Count > size ? Uri(number + 1) : null,
            ["previous_page_uri"] = number > 0 ? Uri(number - 1) : null,
        });
    }

    private object CallResource(DoubleCall call) => new Dictionary<string, object?>
    {
        ["sid"] = call.Sid,
        ["account_sid"] = AccountSid,
        ["parent_call_sid"] = null,
        ["to"] = call.To,
        ["to_formatted"] = call.To,
        ["from"] = call.From,
        ["from_formatted"] = call.From,
        ["status"] = call.Status,
        ["direction"] = call.Direction,
        ["start_time"] = Rfc2822(call.StartTime),
        ["end_time"] = call.EndTime is { } end ? Rfc2822(end) : null,
        ["duration"] = call.Duration?.ToString(CultureInfo.InvariantCulture),
        ["date_created"] = Rfc2822(call.StartTime),
        ["date_updated"] = Rfc2822(call.EndTime ?? call.StartTime),
        ["api_version"] = "2010-04-01",
        ["uri"] = $"/2010-04-01/Accounts/{AccountSid}/Calls/{call.Sid}.json",
    };

    private object RecordingResource(DoubleRecording recording) => new Dictionary<string, object?>
    {
        ["sid"] = recording.Sid,
        ["account_sid"] = AccountSid,
        ["call_sid"] = recording.CallSid,
        ["status"] = recording.Status,
        ["duration"] = recording.Duration.ToString(CultureInfo.InvariantCulture),
        ["channels"] = 1,
        ["source"] = recording.Source,
        ["date_created"] = Rfc2822(recording.DateCreated),
        ["date_updated"] = Rfc2822(recording.DateCreated),
        ["start_time"] = Rfc2822(recording.DateCreated),
        ["api_version"] = "2010-04-01",
        ["uri"] = $"/2010-04-01/Accounts/{AccountSid}/Recordings/{recording.Sid}.json",
    };

    private static string Rfc2822(DateTimeOffset at) => at.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Date(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Calls\.json$")]
    private static partial Regex CallsPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Calls/(?<sid>CA[0-9a-zA-Z]{32})\.json$")]
    private static partial Regex CallPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Recordings\.json$")]
    private static partial Regex RecordingsPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Recordings/(?<sid>RE[0-9a-zA-Z]{32})\.json$")]
    private static partial Regex RecordingPath();
}

/// <summary>A call in the double's history (Twilio's truth). Mutable: a test moves it on.</summary>
public sealed class DoubleCall
{
    public required string Sid { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }
    public required string Status { get; set; }
    public required DateTimeOffset StartTime { get; init; }
    public DateTimeOffset? EndTime { get; set; }
    public int? Duration { get; set; }
    public string Direction { get; init; } = "inbound";

    /// <summary>The forms of the updates Twilio accepted (Twiml, Url, Status…), in order.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Updates { get; } = new();
}

public sealed class DoubleRecording
{
    public required string Sid { get; init; }
    public required string CallSid { get; init; }
    public string Status { get; init; } = "completed";
    public int Duration { get; init; } = 14;
    public string Source { get; init; } = "RecordVerb";
    public required DateTimeOffset DateCreated { get; init; }
}
