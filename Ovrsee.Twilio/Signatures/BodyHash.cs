using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Ovrsee.Twilio.Signatures;

/// <summary>
/// JSON webhooks are signed over the URL alone; the body is bound to it by a
/// <c>bodySHA256</c> query parameter holding the lower-case hex SHA-256 of the raw body.
/// </summary>
internal static class BodyHash
{
    public const string ParameterName = "bodySHA256";

    private const int HexLength = SHA256.HashSizeInBytes * 2;

    /// <summary>The first non-empty <c>bodySHA256</c> value in the URL's query, as written.</summary>
    public static bool TryFind(string url, out ReadOnlySpan<char> value)
    {
        value = default;
        var queryStart = url.IndexOf('?');
        if (queryStart < 0)
        {
            return false;
        }

        var query = url.AsSpan(queryStart + 1);
        var fragment = query.IndexOf('#');
        if (fragment >= 0)
        {
            query = query[..fragment];
        }

        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            if (equals > 0 && pair[..equals].SequenceEqual(ParameterName) && equals + 1 < pair.Length)
            {
                value = pair[(equals + 1)..];
                return true;
            }
        }

        return false;
    }

    public static bool Matches(ReadOnlySpan<byte> body, ReadOnlySpan<char> expectedHex)
    {
        if (expectedHex.Length != HexLength)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, digest);
        Span<char> actualHex = stackalloc char[HexLength];
        Convert.TryToHexStringLower(digest, actualHex, out _);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(actualHex), MemoryMarshal.AsBytes(expectedHex));
    }

    public static string Compute(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));
}
