using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ovrsee.Routing;

/// <summary>
/// Reads and validates a <c>routing</c> object from a request. Every mistake names its field as a
/// path (<c>routing.forward.targets[1]</c>), so the front end can put the message next to the input.
/// </summary>
public static partial class RoutingSettingsReader
{
    public const int MaxForwardTargets = 10;
    public const int MaxRangesPerDay = 6;
    public const int MaxClosures = 366;
    public const int MaxGreetingTextLength = 1000;

    private static readonly string[] Fields =
        ["timeZone", "businessHours", "closures", "duringHours", "afterHours", "forward", "voicemailGreeting", "afterHoursGreeting", "transferOnDtmfZero"];

    public static readonly string[] Days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    /// <param name="ownNumber">The number being configured: forwarding to itself would loop.</param>
    /// <param name="error">Called with (field path, message) for each mistake.</param>
    /// <returns>The settings, or null when there were errors.</returns>
    public static RoutingSettings? Read(JsonElement json, string ownNumber, string path, Action<string, string> error)
    {
        var failed = false;
        void Fail(string field, string message)
        {
            failed = true;
            error(field, message);
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            Fail(path, "Must be an object (or null for the defaults).");
            return null;
        }
        RefuseUnknownFields(json, path, Fields, Fail);

        var defaults = RoutingSettings.Default;
        var timeZone = String(json, "timeZone", path, Fail) ?? defaults.TimeZone;
        if (!IsIanaZone(timeZone))
        {
            Fail($"{path}.timeZone", "Must be an IANA time zone id, e.g. Europe/Berlin or America/New_York.");
        }
        var hours = BusinessHours(json, path, Fail);
        var closures = Closures(json, path, Fail);
        var duringHours = Target(json, "duringHours", path, Fail) ?? defaults.DuringHours;
        var afterHours = Target(json, "afterHours", path, Fail) ?? defaults.AfterHours;
        var forward = Forward(json, ownNumber, path, Fail);
        if (forward is null && (duringHours == RouteTarget.Forward || afterHours == RouteTarget.Forward)
            && !json.TryGetProperty("forward", out _))
        {
            Fail($"{path}.forward", "Required when duringHours or afterHours is forward: the numbers to ring.");
        }
        var voicemailGreeting = GreetingOf(json, "voicemailGreeting", path, Fail);
        var afterHoursGreeting = GreetingOf(json, "afterHoursGreeting", path, Fail);
        var transfer = false;
        if (json.TryGetProperty("transferOnDtmfZero", out var transferValue) && transferValue.ValueKind != JsonValueKind.Null)
        {
            if (transferValue.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                transfer = transferValue.GetBoolean();
            }
            else
            {
                Fail($"{path}.transferOnDtmfZero", "Must be true or false.");
            }
        }
        // Pressing 0 for a person only makes sense with someone to ring.
        if (transfer && forward is null && !json.TryGetProperty("forward", out _))
        {
            Fail($"{path}.forward", "Required when transferOnDtmfZero is true: the numbers a caller is transferred to.");
        }
        return failed ? null : new RoutingSettings(timeZone, hours, closures, duringHours, afterHours, forward, voicemailGreeting, afterHoursGreeting, transfer);
    }

    /// <summary>An IANA id this machine's time zone database knows (Windows ids are refused).</summary>
    public static bool IsIanaZone(string id) =>
        id.Length is > 0 and <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId
        && !id.StartsWith('/') && !id.Contains("..", StringComparison.Ordinal);

    private static string? String(JsonElement json, string name, string path, Action<string, string> fail)
    {
        if (!json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            fail($"{path}.{name}", "Must be a string.");
            return null;
        }
        return value.GetString()!.Trim();
    }

    private static RouteTarget? Target(JsonElement json, string name, string path, Action<string, string> fail)
    {
        var value = String(json, name, path, fail);
        return value switch
        {
            null => null,
            "agent" => RouteTarget.Agent,
            "forward" => RouteTarget.Forward,
            "voicemail" => RouteTarget.Voicemail,
            _ => Invalid(),
        };

        RouteTarget? Invalid()
        {
            fail($"{path}.{name}", "Must be agent, forward or voicemail.");
            return null;
        }
    }

    private static Dictionary<string, IReadOnlyList<OpeningRange>>? BusinessHours(JsonElement json, string path, Action<string, string> fail)
    {
        if (!json.TryGetProperty("businessHours", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var field = $"{path}.businessHours";
        if (value.ValueKind != JsonValueKind.Object)
        {
            fail(field, "Must be an object of days (monday … sunday), each a list of {from, to} ranges in HH:mm.");
            return null;
        }

        var days = new Dictionary<string, IReadOnlyList<OpeningRange>>(StringComparer.Ordinal);
        // Every range as minutes of the week, so overlaps across midnight (Friday 22:00-02:00
        // against Saturday 01:00-…) and across Sunday → Monday are caught too.
        var week = new List<(int Start, int End, string Field)>();
        foreach (var day in value.EnumerateObject())
        {
            var dayField = $"{field}.{day.Name}";
            var dayIndex = Array.IndexOf(Days, day.Name);
            if (dayIndex < 0)
            {
                fail(dayField, "Unknown day. Expected: monday, tuesday, wednesday, thursday, friday, saturday, sunday.");
                continue;
            }
            if (day.Value.ValueKind != JsonValueKind.Array)
            {
                fail(dayField, "Must be a list of {from, to} ranges in HH:mm (empty: closed).");
                continue;
            }
            if (day.Value.GetArrayLength() > MaxRangesPerDay)
            {
                fail(dayField, $"At most {MaxRangesPerDay} ranges per day.");
                continue;
            }
            var ranges = new List<OpeningRange>();
            var index = 0;
            foreach (var range in day.Value.EnumerateArray())
            {
                var rangeField = $"{dayField}[{index++}]";
                if (range.ValueKind != JsonValueKind.Object || range.EnumerateObject().Any(p => p.Name is not ("from" or "to")))
                {
                    fail(rangeField, "Must be {\"from\": \"HH:mm\", \"to\": \"HH:mm\"}.");
                    continue;
                }
                var from = String(range, "from", rangeField, fail);
                var to = String(range, "to", rangeField, fail);
                var start = Minutes(from, allow24: false);
                var end = Minutes(to, allow24: true);
                if (start is null)
                {
                    fail($"{rangeField}.from", "Required, as HH:mm from 00:00 to 23:59.");
                }
                if (end is null)
                {
                    fail($"{rangeField}.to", "Required, as HH:mm from 00:00 to 24:00 (before from: past midnight).");
                }
                if (start is null || end is null)
                {
                    continue;
                }
                if (start == end)
                {
                    fail(rangeField, "from and to must differ (for around the clock use 00:00 to 24:00).");
                    continue;
                }
                var length = end > start ? end.Value - start.Value : end.Value + 24 * 60 - start.Value;
                var weekStart = dayIndex * 24 * 60 + start.Value;
                week.Add((weekStart, weekStart + length, rangeField));
                ranges.Add(new OpeningRange(from!, to!));
            }
            days[day.Name] = ranges;
        }

        const int minutesPerWeek = 7 * 24 * 60;
        var sorted = week.OrderBy(r => r.Start).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            for (var j = i + 1; j < sorted.Count; j++)
            {
                if (Overlaps(sorted[i], sorted[j]) || Overlaps(sorted[i], (sorted[j].Start - minutesPerWeek, sorted[j].End - minutesPerWeek, sorted[j].Field))
                    || Overlaps(sorted[i], (sorted[j].Start + minutesPerWeek, sorted[j].End + minutesPerWeek, sorted[j].Field)))
                {
                    fail(sorted[j].Field, $"Overlaps {sorted[i].Field}.");
                }
            }
        }
        return days;

        static bool Overlaps((int Start, int End, string) a, (int Start, int End, string) b) => a.Start < b.End && b.Start < a.End;
    }

    /// <summary>HH:mm as minutes after midnight; 24:00 only as an end.</summary>
    public static int? Minutes(string? text, bool allow24)
    {
        if (text is null || !TimePattern().IsMatch(text))
        {
            return null;
        }
        var hours = int.Parse(text.AsSpan(0, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(text.AsSpan(3, 2), CultureInfo.InvariantCulture);
        if (hours == 24 && minutes == 0 && allow24)
        {
            return 24 * 60;
        }
        return hours < 24 && minutes < 60 ? hours * 60 + minutes : null;
    }

    private static List<string>? Closures(JsonElement json, string path, Action<string, string> fail)
    {
        if (!json.TryGetProperty("closures", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var field = $"{path}.closures";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxClosures)
        {
            fail(field, $"Must be a list of at most {MaxClosures} dates (yyyy-MM-dd, local to timeZone).");
            return null;
        }
        var dates = new SortedSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String
                || !DateOnly.TryParseExact(item.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                fail($"{field}[{index}]", "Must be a date as yyyy-MM-dd.");
            }
            else
            {
                dates.Add(item.GetString()!);
            }
            index++;
        }
        return [.. dates];
    }

    private static void RefuseUnknownFields(JsonElement json, string path, string[] known, Action<string, string> fail)
    {
        foreach (var property in json.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                fail($"{path}.{property.Name}", $"Unknown field. Expected: {string.Join(", ", known)}.");
            }
        }
    }

    private static ForwardSettings? Forward(JsonElement json, string ownNumber, string path, Action<string, string> fail)
    {
        if (!json.TryGetProperty("forward", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var field = $"{path}.forward";
        if (value.ValueKind != JsonValueKind.Object)
        {
            fail(field, "Must be {targets, strategy?, ringTimeoutSeconds?, callerId?}.");
            return null;
        }
        var failed = false;
        void Fail(string f, string message)
        {
            failed = true;
            fail(f, message);
        }
        RefuseUnknownFields(value, field, ["targets", "strategy", "ringTimeoutSeconds", "callerId"], Fail);

        var targets = new List<string>();
        if (!value.TryGetProperty("targets", out var list) || list.ValueKind != JsonValueKind.Array
            || list.GetArrayLength() is 0 or > MaxForwardTargets)
        {
            Fail($"{field}.targets", $"Required: 1 to {MaxForwardTargets} E.164 numbers, e.g. [\"+14155550123\"].");
        }
        else
        {
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var targetField = $"{field}.targets[{index++}]";
                var number = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim() : null;
                if (number is null || !E164().IsMatch(number))
                {
                    Fail(targetField, "Must be an E.164 number: + then country code and number, digits only, e.g. +14155550123.");
                }
                else if (number == ownNumber)
                {
                    Fail(targetField, "Must not be this number itself: the call would ring back into this routing.");
                }
                else if (targets.Contains(number))
                {
                    Fail(targetField, "Listed twice.");
                }
                else
                {
                    targets.Add(number);
                }
            }
        }

        var strategy = String(value, "strategy", field, Fail) switch
        {
            null or "sequential" => ForwardStrategy.Sequential,
            "simultaneous" => ForwardStrategy.Simultaneous,
            _ => Invalid(ForwardStrategy.Sequential, $"{field}.strategy", "Must be sequential or simultaneous."),
        };
        var timeout = 20;
        if (value.TryGetProperty("ringTimeoutSeconds", out var timeoutValue) && timeoutValue.ValueKind != JsonValueKind.Null)
        {
            if (timeoutValue.ValueKind != JsonValueKind.Number || !timeoutValue.TryGetInt32(out timeout) || timeout is < 5 or > 120)
            {
                Fail($"{field}.ringTimeoutSeconds", "Must be a whole number of seconds from 5 to 120.");
            }
        }
        var callerId = String(value, "callerId", field, Fail) switch
        {
            null or "caller" => ForwardCallerId.Caller,
            "number" => ForwardCallerId.Number,
            _ => Invalid(ForwardCallerId.Caller, $"{field}.callerId", "Must be caller (the person sees who calls) or number (they see this number)."),
        };
        return failed ? null : new ForwardSettings(targets, strategy, timeout, callerId);

        T Invalid<T>(T fallback, string f, string message)
        {
            Fail(f, message);
            return fallback;
        }
    }

    private static Greeting? GreetingOf(JsonElement json, string name, string path, Action<string, string> fail)
    {
        if (!json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var field = $"{path}.{name}";
        if (value.ValueKind != JsonValueKind.Object)
        {
            fail(field, "Must be {text, voice?, language?} or {audioUrl}.");
            return null;
        }
        var failed = false;
        void Fail(string f, string message)
        {
            failed = true;
            fail(f, message);
        }
        RefuseUnknownFields(value, field, ["text", "voice", "language", "audioUrl"], Fail);
        var text = String(value, "text", field, Fail);
        var voice = String(value, "voice", field, Fail);
        var language = String(value, "language", field, Fail);
        var audioUrl = String(value, "audioUrl", field, Fail);
        if (string.IsNullOrEmpty(text) == string.IsNullOrEmpty(audioUrl))
        {
            Fail(field, "Give exactly one of text or audioUrl.");
        }
        if (text is { Length: > MaxGreetingTextLength })
        {
            Fail($"{field}.text", $"At most {MaxGreetingTextLength} characters.");
        }
        if (voice is not null && !VoicePattern().IsMatch(voice))
        {
            Fail($"{field}.voice", "A Twilio voice name, e.g. alice, man, woman or Polly.Joanna.");
        }
        if (language is not null && !LanguagePattern().IsMatch(language))
        {
            Fail($"{field}.language", "A language tag, e.g. en-US or de-DE.");
        }
        if (audioUrl is not null && (voice is not null || language is not null))
        {
            Fail(field, "voice and language apply to text only.");
        }
        if (audioUrl is not null && (!Uri.TryCreate(audioUrl, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || !string.IsNullOrEmpty(uri.UserInfo) || audioUrl.Length > 1000))
        {
            Fail($"{field}.audioUrl", "Must be an https URL Twilio can fetch (no user:password@), at most 1000 characters.");
        }
        return failed ? null : new Greeting(string.IsNullOrEmpty(text) ? null : text, voice, language, string.IsNullOrEmpty(audioUrl) ? null : audioUrl);
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$")]
    public static partial Regex E164();

    [GeneratedRegex(@"^[0-9]{2}:[0-9]{2}$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VoicePattern();

    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")]
    private static partial Regex LanguagePattern();
}
