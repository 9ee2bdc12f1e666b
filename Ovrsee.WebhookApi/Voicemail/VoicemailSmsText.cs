using System.Globalization;
using System.Text.Json;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// The owner's text about a voicemail: who called, when (in the number's time zone), and the
/// summary, or the transcript's first line when there is no summary. Kept within two SMS segments'
/// worth of characters so it arrives as one readable message.
/// </summary>
public static class VoicemailSmsText
{
    public const int MaxLength = 300;

    public static string Compose(VoicemailSmsContext voicemail)
    {
        var number = voicemail.NumberName ?? voicemail.NumberE164 ?? "your number";
        var caller = string.IsNullOrWhiteSpace(voicemail.CallerNumber) ? "an unknown caller" : voicemail.CallerNumber;
        var head = $"Voicemail on {number} from {caller}, {LocalTime(voicemail.LeftAt, voicemail.TimeZone)}";
        var gist = Summary(voicemail.SummaryJson) ?? FirstLine(voicemail.Transcript);
        var text = gist is null ? head + ". No transcript." : $"{head}: {gist}";
        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength - 1), "…");
    }

    private static string LocalTime(DateTimeOffset at, string? timeZone)
    {
        var zone = TimeZoneInfo.Utc;
        if (timeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found))
        {
            zone = found;
        }
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return local.ToString("ddd d MMM HH:mm", CultureInfo.InvariantCulture) + $" ({(zone == TimeZoneInfo.Utc ? "UTC" : zone.Id)})";
    }

    private static string? Summary(string? summaryJson)
    {
        if (summaryJson is null)
        {
            return null;
        }
        using var json = JsonDocument.Parse(summaryJson);
        return json.RootElement.TryGetProperty("summary", out var summary) && summary.GetString() is { } text && !string.IsNullOrWhiteSpace(text)
            ? text.Trim()
            : null;
    }

    private static string? FirstLine(string? transcript) =>
        transcript?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
