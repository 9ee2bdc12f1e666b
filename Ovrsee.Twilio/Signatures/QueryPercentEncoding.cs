using System.Buffers;
using System.Text;

namespace Ovrsee.Twilio.Signatures;

/// <summary>
/// twilio-node runs every URL through the WHATWG URL parser before signing, which
/// percent-encodes characters such as <c>'</c> in the query (<c>It's</c> becomes <c>It%27s</c>).
/// Requests can reach us with those characters raw, so the validator also tries the
/// query encoded that way.
/// </summary>
internal static class QueryPercentEncoding
{
    // The WHATWG "special-query percent-encode set", minus '#' (which ends the query) and
    // minus C0 controls and non-ASCII, which are handled by range checks below.
    private static readonly SearchValues<char> AlwaysEncoded = SearchValues.Create(" \"'<>");

    /// <summary>Returns <paramref name="pathAndQuery"/> itself when nothing needs encoding.</summary>
    public static string Normalize(string pathAndQuery)
    {
        var queryStart = pathAndQuery.IndexOf('?');
        if (queryStart < 0)
        {
            return pathAndQuery;
        }

        var queryEnd = pathAndQuery.IndexOf('#', queryStart);
        if (queryEnd < 0)
        {
            queryEnd = pathAndQuery.Length;
        }

        var query = pathAndQuery.AsSpan(queryStart, queryEnd - queryStart);
        if (FirstToEncode(query) < 0)
        {
            return pathAndQuery;
        }

        var builder = new StringBuilder(pathAndQuery.Length + 16);
        builder.Append(pathAndQuery.AsSpan(0, queryStart));
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < query.Length; i++)
        {
            var c = query[i];
            if (!NeedsEncoding(c))
            {
                builder.Append(c);
                continue;
            }

            var scalarLength = char.IsHighSurrogate(c) && i + 1 < query.Length && char.IsLowSurrogate(query[i + 1]) ? 2 : 1;
            var byteCount = Encoding.UTF8.GetBytes(query.Slice(i, scalarLength), utf8);
            foreach (var b in utf8[..byteCount])
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }

            i += scalarLength - 1;
        }

        builder.Append(pathAndQuery.AsSpan(queryEnd));
        return builder.ToString();
    }

    private static int FirstToEncode(ReadOnlySpan<char> query)
    {
        for (var i = 0; i < query.Length; i++)
        {
            if (NeedsEncoding(query[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool NeedsEncoding(char c) => c < 0x20 || c > 0x7E || AlwaysEncoded.Contains(c);
}
