namespace Ovrsee.Twilio.Signatures;

/// <summary>
/// The spellings of one URL that Twilio may have signed. Twilio's back end is inconsistent
/// about ports (HTTPS voice callbacks are signed without one, HTTP ones with it), so like
/// Twilio's helper libraries we accept the URL as given and with its port toggled.
/// </summary>
internal static class SignedUrlCandidates
{
    /// <summary>What Twilio signs for this URL as written: the URL minus any <c>user:pass@</c>.</summary>
    public static string Canonical(string url) =>
        UrlParts.TryParse(url, out var parts) && parts.HadCredentials ? parts.Format(parts.Port, parts.PathAndQuery) : url;

    public static List<string> For(string url, bool alsoTryTrailingSlash)
    {
        var candidates = new List<string>(alsoTryTrailingSlash ? 8 : 4);
        if (!UrlParts.TryParse(url, out var parts))
        {
            candidates.Add(url);
            return candidates;
        }

        candidates.Add(parts.HadCredentials ? parts.Format(parts.Port, parts.PathAndQuery) : url);
        AddPortToggled(candidates, parts, parts.PathAndQuery);

        var normalized = QueryPercentEncoding.Normalize(parts.PathAndQuery);
        if (!ReferenceEquals(normalized, parts.PathAndQuery))
        {
            candidates.Add(parts.Format(parts.Port, normalized));
            AddPortToggled(candidates, parts, normalized);
        }

        if (alsoTryTrailingSlash)
        {
            // Media Streams WebSocket handshakes: the URL may have been signed with '/' after the path.
            var count = candidates.Count;
            for (var i = 0; i < count; i++)
            {
                if (WithTrailingSlash(candidates[i]) is { } slashed)
                {
                    candidates.Add(slashed);
                }
            }
        }

        return candidates;
    }

    /// <summary>An explicit port removed, or the scheme's default port added.</summary>
    private static void AddPortToggled(List<string> candidates, UrlParts parts, string pathAndQuery)
    {
        if (parts.Port is not null)
        {
            candidates.Add(parts.Format(null, pathAndQuery));
        }
        else if (parts.DefaultPort is { } defaultPort)
        {
            candidates.Add(parts.Format(defaultPort, pathAndQuery));
        }
    }

    private static string? WithTrailingSlash(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var searchFrom = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var pathEnd = url.AsSpan(searchFrom).IndexOfAny('?', '#');
        pathEnd = pathEnd < 0 ? url.Length : searchFrom + pathEnd;
        return url[pathEnd - 1] == '/' ? null : url.Insert(pathEnd, "/");
    }
}
