using System.Text.RegularExpressions;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// A summary without a model, so the pipeline completes offline: the opening one or two sentences, the
/// first phone number said, a name after "this is" / "my name is", urgency from keywords.
/// Deterministic, and marked <see cref="VoicemailSummary.Extractive"/> so nobody mistakes it for more.
/// </summary>
public static partial class ExtractiveSummary
{
    private const int MaxSentences = 2;
    private const int TargetLength = 200;
    private const int MaxLength = 320;

    // Checked first and removed, so "not urgent" does not count as "urgent".
    private static readonly string[] LowPhrases = ["not urgent", "no rush", "no hurry", "whenever you", "when you get a chance", "at your convenience", "no need to call back"];
    private static readonly string[] UrgentWords = ["emergency", "urgent", "urgently", "immediately", "right away", "asap", "a.s.a.p", "as soon as possible"];
    private static readonly string[] HighWords = ["today", "tonight", "this morning", "this afternoon", "important", "soon", "quickly", "time sensitive", "time-sensitive"];

    public static VoicemailSummary Create(string transcript, string? callerNumber)
    {
        var text = Whitespace().Replace(transcript, " ").Trim();
        return new VoicemailSummary(
            Summary: OpeningSentences(text),
            CallerName: CallerName(text),
            Intent: null,
            Urgency: Urgency(text),
            CallbackNumber: FirstPhoneNumber(text),
            CallerNumber: callerNumber,
            Source: VoicemailSummary.Extractive,
            Model: null);
    }

    public static string OpeningSentences(string text)
    {
        var summary = "";
        foreach (var sentence in SentenceEnd().Split(text).Take(MaxSentences))
        {
            summary = summary.Length == 0 ? sentence : $"{summary} {sentence}";
            if (summary.Length >= TargetLength)
            {
                break;
            }
        }
        return summary.Length <= MaxLength ? summary : summary[..(MaxLength - 1)].TrimEnd() + "…";
    }

    public static string Urgency(string text)
    {
        var lower = text.ToLowerInvariant();
        var low = false;
        foreach (var phrase in LowPhrases)
        {
            if (lower.Contains(phrase, StringComparison.Ordinal))
            {
                low = true;
                lower = lower.Replace(phrase, " ", StringComparison.Ordinal);
            }
        }
        return UrgentWords.Any(w => ContainsWord(lower, w)) ? "urgent"
            : HighWords.Any(w => ContainsWord(lower, w)) ? "high"
            : low ? "low"
            : "normal";
    }

    /// <summary>The first phone number in the text, as E.164 when it is a North American or +-prefixed number.</summary>
    public static string? FirstPhoneNumber(string text)
    {
        foreach (Match match in PhoneNumber().Matches(text))
        {
            var digits = new string(match.Value.Where(char.IsAsciiDigit).ToArray());
            if (match.Value.TrimStart().StartsWith('+') && digits.Length is >= 8 and <= 15)
            {
                return "+" + digits;
            }
            if (digits.Length == 10)
            {
                return "+1" + digits;
            }
            if (digits.Length == 11 && digits[0] == '1')
            {
                return "+" + digits;
            }
        }
        return null;
    }

    public static string? CallerName(string text) => CallerIntroduction().Match(text) is { Success: true } match ? match.Groups["name"].Value : null;

    private static bool ContainsWord(string text, string word)
    {
        for (var index = text.IndexOf(word, StringComparison.Ordinal); index >= 0; index = text.IndexOf(word, index + 1, StringComparison.Ordinal))
        {
            var before = index == 0 || !char.IsLetter(text[index - 1]);
            var end = index + word.Length;
            var after = end >= text.Length || !char.IsLetter(text[end]);
            if (before && after)
            {
                return true;
            }
        }
        return false;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    // +44 20 7946 0958, (415) 555-0123, 415.555.0123, 1-415-555-0123
    [GeneratedRegex(@"\+\d[\d\s().-]{6,18}\d|(?<!\d)(?:1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")]
    private static partial Regex PhoneNumber();

    // The name must be capitalised, which keeps "it's urgent" from being a name.
    [GeneratedRegex(@"\b(?i:this is|my name is|it's|it is)\s+(?<name>\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+)?)")]
    private static partial Regex CallerIntroduction();
}
