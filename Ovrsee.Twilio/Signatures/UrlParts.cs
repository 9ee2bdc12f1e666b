namespace Ovrsee.Twilio.Signatures;

/// <summary>
/// A URL split just enough to swap its port and drop credentials. Deliberately not
/// <see cref="Uri"/>: Uri lower-cases the host and re-escapes the path, and Twilio signs
/// the host's case and the URL's escaping exactly as configured.
/// </summary>
internal readonly record struct UrlParts(string Scheme, string Host, string? Port, string PathAndQuery, bool HadCredentials)
{
    public static bool TryParse(string url, out UrlParts parts)
    {
        parts = default;
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 1)
        {
            return false;
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.AsSpan(authorityStart).IndexOfAny('/', '?', '#');
        authorityEnd = authorityEnd < 0 ? url.Length : authorityStart + authorityEnd;

        var authority = url.AsSpan(authorityStart, authorityEnd - authorityStart);
        var at = authority.LastIndexOf('@');
        var hostAndPort = at < 0 ? authority : authority[(at + 1)..];
        if (hostAndPort.IsEmpty)
        {
            return false;
        }

        // An IPv6 literal has colons of its own; the port separator can only follow its ']'.
        var hostEnd = hostAndPort[0] == '[' ? hostAndPort.IndexOf(']') + 1 : 0;
        if (hostAndPort[0] == '[' && hostEnd == 0)
        {
            return false;
        }

        var colon = hostAndPort[hostEnd..].LastIndexOf(':');
        string host;
        string? port = null;
        if (colon < 0)
        {
            host = hostAndPort.ToString();
        }
        else
        {
            host = hostAndPort[..(hostEnd + colon)].ToString();
            var portText = hostAndPort[(hostEnd + colon + 1)..];
            port = portText.IsEmpty ? null : portText.ToString();
        }

        parts = new UrlParts(url[..schemeEnd], host, port, url[authorityEnd..], HadCredentials: at >= 0);
        return true;
    }

    /// <summary>The port a client leaves implicit for this scheme, if the scheme has one.</summary>
    public string? DefaultPort =>
        Scheme.Equals("https", StringComparison.OrdinalIgnoreCase) || Scheme.Equals("wss", StringComparison.OrdinalIgnoreCase) ? "443"
        : Scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || Scheme.Equals("ws", StringComparison.OrdinalIgnoreCase) ? "80"
        : null;

    public string Format(string? port, string pathAndQuery) =>
        port is null
            ? string.Concat(Scheme, "://", Host, pathAndQuery)
            : string.Concat(Scheme, "://", Host, ":", port, pathAndQuery);
}
