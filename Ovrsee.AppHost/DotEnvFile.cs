using System.Text;

namespace Ovrsee.AppHost;

/// <summary>
/// KEY=VALUE lines of a .env file, as the seed app and most tools write them: blank lines and
/// # comments ignored, an optional leading "export", values optionally in single quotes (taken
/// literally) or double quotes (\n \" \\ understood), an unquoted value ends at " #".
/// Multi-line values are not supported. Keys like Twilio__AuthToken mean Twilio:AuthToken, as in the environment.
/// </summary>
internal static class DotEnvFile
{
    public static Dictionary<string, string?> Read(string path) =>
        File.Exists(path) ? Parse(File.ReadAllLines(path)) : [];

    public static Dictionary<string, string?> Parse(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            var equals = line.IndexOf('=');
            if (equals <= 0)
            {
                continue; // not an assignment; a stray word should not stop the AppHost
            }
            var key = line[..equals].Trim().Replace("__", ":");
            values[key] = Value(line[(equals + 1)..].Trim());
        }
        return values;
    }

    private static string Value(string text)
    {
        if (text.Length >= 2 && text[0] == '\'' && text.IndexOf('\'', 1) is var endSingle and > 0)
        {
            return text[1..endSingle];
        }
        if (text.Length >= 2 && text[0] == '"')
        {
            return DoubleQuoted(text);
        }
        var comment = text.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? text[..comment] : text).TrimEnd();
    }

    private static string DoubleQuoted(string text)
    {
        var value = new StringBuilder();
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                break;
            }
            if (c == '\\' && i + 1 < text.Length)
            {
                var next = text[++i];
                value.Append(next switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => next });
                continue;
            }
            value.Append(c);
        }
        return value.ToString();
    }
}
