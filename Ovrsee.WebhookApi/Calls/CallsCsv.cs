using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ovrsee.WebhookApi.Calls;

/// <summary>
/// The calls list as RFC 4180 CSV (UTF-8, CRLF, a header row), written row by row. Text that a
/// spreadsheet would run as a formula (=, @, + or - not followed by only digits, tab, CR) gets a
/// leading apostrophe: a caller ID is the caller's to choose.
/// </summary>
public static partial class CallsCsv
{
    public const string ContentType = "text/csv; charset=utf-8";

    private static readonly string Header = string.Join(',',
        "id", "callSid", "direction", "status", "from", "to", "phoneNumberId",
        // outcome last: columns are only ever added at the end, so a sheet built on the old export still lines up.
        "startedAt", "answeredAt", "endedAt", "durationSeconds", "createdAt", "hasVoicemail", "outcome") + "\r\n";

    /// <summary>Writes the header and every call, flushing every so often so the download starts at once.</summary>
    public static async Task WriteAsync(Stream body, IAsyncEnumerable<CallListItem> calls, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(Header);
        var rows = 0;
        var line = new StringBuilder();
        await foreach (var call in calls.WithCancellation(cancellationToken))
        {
            line.Clear();
            Append(line, call.Id.ToString()).Append(',');
            Append(line, call.CallSid).Append(',');
            Append(line, call.Direction).Append(',');
            Append(line, call.Status).Append(',');
            Append(line, call.From).Append(',');
            Append(line, call.To).Append(',');
            Append(line, call.PhoneNumberId?.ToString()).Append(',');
            Append(line, Timestamp(call.StartedAt)).Append(',');
            Append(line, Timestamp(call.AnsweredAt)).Append(',');
            Append(line, Timestamp(call.EndedAt)).Append(',');
            Append(line, call.DurationSeconds?.ToString(CultureInfo.InvariantCulture)).Append(',');
            Append(line, Timestamp(call.CreatedAt)).Append(',');
            Append(line, call.HasVoicemail ? "true" : "false").Append(',');
            Append(line, call.Outcome).Append("\r\n");
            await writer.WriteAsync(line, cancellationToken);
            if (++rows % 500 == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }
        await writer.FlushAsync(cancellationToken);
    }

    public static StringBuilder Append(StringBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return line;
        }
        if (value[0] is '=' or '@' or '\t' or '\r' || (value[0] is '+' or '-' && !SignedDigits().IsMatch(value)))
        {
            value = "'" + value;
        }
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return line.Append(value);
        }
        return line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static string? Timestamp(DateTime? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[+-][0-9]+$")]
    private static partial Regex SignedDigits();
}
