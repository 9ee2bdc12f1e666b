using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ovrsee.WebhookApi.Calls;

/// <summary>The list's filters, validated: every problem names its query parameter.</summary>
public sealed partial record CallListQuery(
    string[]? Statuses,
    string? Direction,
    Guid? PhoneNumberId,
    string? From,
    string? To,
    DateTimeOffset? Since,
    DateTimeOffset? Until,
    bool? HasVoicemail,
    int Limit,
    CallListCursor? After,
    string[]? Outcomes = null)
{
    public static readonly string[] KnownOutcomes = ["forwarded", "agent", "voicemail", "rejected", "missed", "in-progress"];

    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    private static readonly HashSet<string> KnownStatuses =
        ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled", "rejected", "unknown"];

    public static CallListQuery Parse(IQueryCollection query, out Dictionary<string, string[]> errors)
    {
        var problems = new Dictionary<string, string[]>();
        string? Value(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

        string[]? statuses = null;
        if (Value("status") is { } statusText)
        {
            statuses = statusText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = statuses.Where(s => !KnownStatuses.Contains(s)).ToList();
            if (unknown.Count > 0 || statuses.Length == 0)
            {
                problems["status"] = [$"Unknown status '{string.Join("', '", unknown)}'. Use one or more (comma-separated) of: {string.Join(", ", KnownStatuses)}."];
            }
        }

        string[]? outcomes = null;
        if (Value("outcome") is { } outcomeText)
        {
            outcomes = outcomeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = outcomes.Where(o => !KnownOutcomes.Contains(o)).ToList();
            if (unknown.Count > 0 || outcomes.Length == 0)
            {
                problems["outcome"] = [$"Unknown outcome '{string.Join("', '", unknown)}'. Use one or more (comma-separated) of: {string.Join(", ", KnownOutcomes)}."];
            }
        }

        var direction = Value("direction");
        if (direction is not null and not "inbound" and not "outbound")
        {
            problems["direction"] = ["Use inbound or outbound."];
        }

        Guid? phoneNumberId = null;
        if (Value("phoneNumberId") is { } idText)
        {
            if (Guid.TryParse(idText, out var id)) phoneNumberId = id;
            else problems["phoneNumberId"] = ["Must be a phone number id (UUID)."];
        }

        var from = E164(Value("from"), "from", problems);
        var to = E164(Value("to"), "to", problems);
        var since = Timestamp(Value("since"), "since", problems);
        var until = Timestamp(Value("until"), "until", problems);
        if (since is not null && until is not null && since >= until)
        {
            problems["until"] = ["Must be later than since."];
        }

        bool? hasVoicemail = null;
        if (Value("hasVoicemail") is { } vmText)
        {
            if (bool.TryParse(vmText, out var vm)) hasVoicemail = vm;
            else problems["hasVoicemail"] = ["Use true or false."];
        }

        var limit = DefaultLimit;
        if (Value("limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            {
                problems["limit"] = [$"Use a whole number from 1 to {MaxLimit}."];
            }
        }

        CallListCursor? after = null;
        if (Value("cursor") is { } cursorText)
        {
            after = CallListCursor.TryParse(cursorText);
            if (after is null) problems["cursor"] = ["Not a cursor this API gave out; use nextCursor from the previous page."];
        }

        errors = problems;
        return new CallListQuery(statuses, direction, phoneNumberId, from, to, since, until, hasVoicemail, limit, after, outcomes);
    }

    private static string? E164(string? value, string name, Dictionary<string, string[]> problems)
    {
        if (value is null) return null;
        // A '+' in a query string arrives as a space unless encoded; accept both.
        var number = value.StartsWith(' ') || char.IsDigit(value[0]) ? "+" + value.TrimStart() : value;
        if (!E164Pattern().IsMatch(number))
        {
            problems[name] = ["Must be an E.164 phone number such as +14155550100 (encode + as %2B)."];
            return null;
        }
        return number;
    }

    private static DateTimeOffset? Timestamp(string? value, string name, Dictionary<string, string[]> problems)
    {
        if (value is null) return null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return parsed.ToUniversalTime();
        problems[name] = ["Must be an ISO-8601 time such as 2026-11-25T12:00:00Z."];
        return null;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$")]
    private static partial Regex E164Pattern();
}

/// <summary>Where the previous page ended, in the list's own order (created_at desc, id desc).</summary>
public sealed record CallListCursor(DateTime CreatedAt, Guid Id)
{
    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{CreatedAt.Ticks}:{Id:N}"));

    public static CallListCursor? TryParse(string text)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split(':');
            return parts.Length == 2
                   && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                   && ticks is > 0 && ticks <= DateTime.MaxValue.Ticks
                   && Guid.TryParseExact(parts[1], "N", out var id)
                ? new CallListCursor(new DateTime(ticks, DateTimeKind.Utc), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
