using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Ovrsee.Twilio.Signatures;

/// <summary>
/// Computes HMAC-SHA1 over "URL + sorted parameters" for several URL spellings and tokens
/// without rebuilding the parameter part each time: the parameters are encoded once at the
/// end of a pooled buffer and each candidate URL is written right-aligned in front of them.
/// </summary>
internal sealed class SignaturePreimage : IDisposable
{
    /// <summary>Base64 length of a 20-byte SHA-1 MAC; every genuine header has exactly this many characters.</summary>
    public const int SignatureLength = 28;

    private const int StackKeyBytes = 256;

    private readonly byte[] _buffer;
    private readonly int _urlRegion;
    private readonly int _suffixLength;

    public SignaturePreimage(IReadOnlyList<string> candidateUrls, IEnumerable<KeyValuePair<string, string>>? parameters)
    {
        var pairs = SortedDistinct(parameters);

        foreach (var url in candidateUrls)
        {
            _urlRegion = Math.Max(_urlRegion, Encoding.UTF8.GetByteCount(url));
        }

        foreach (var (name, value) in pairs)
        {
            _suffixLength += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }

        _buffer = ArrayPool<byte>.Shared.Rent(_urlRegion + _suffixLength);
        var written = _urlRegion;
        foreach (var (name, value) in pairs)
        {
            written += Encoding.UTF8.GetBytes(name, _buffer.AsSpan(written));
            written += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(written));
        }
    }

    /// <summary>The base64 signature of <paramref name="url"/> (one of the candidates) under <paramref name="authToken"/>.</summary>
    public string Compute(string authToken, string url)
    {
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        Sign(authToken, url, mac);
        return Convert.ToBase64String(mac);
    }

    /// <summary>True when any token signs any candidate URL to exactly <paramref name="signature"/>.</summary>
    public bool AnyMatches(IReadOnlyList<string> candidateUrls, IEnumerable<string> authTokens, string signature)
    {
        if (signature.Length != SignatureLength)
        {
            return false;
        }

        var expected = MemoryMarshal.AsBytes(signature.AsSpan());
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        Span<char> encoded = stackalloc char[SignatureLength];
        foreach (var token in authTokens)
        {
            if (string.IsNullOrEmpty(token))
            {
                continue;
            }

            foreach (var url in candidateUrls)
            {
                Sign(token, url, mac);
                Convert.TryToBase64Chars(mac, encoded, out _);
                // Compare the base64 text, as Twilio's helpers do, so that a header differing only
                // in unused trailing bits is not accepted.
                if (CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(encoded), expected))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public void Dispose()
    {
        _buffer.AsSpan(0, _urlRegion + _suffixLength).Clear(); // it held caller data
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    private void Sign(string authToken, string url, Span<byte> mac)
    {
        var urlLength = Encoding.UTF8.GetByteCount(url);
        var start = _urlRegion - urlLength;
        Encoding.UTF8.GetBytes(url, _buffer.AsSpan(start, urlLength));
        var preimage = _buffer.AsSpan(start, urlLength + _suffixLength);

        var keyLength = Encoding.UTF8.GetByteCount(authToken);
        var key = keyLength <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : new byte[keyLength];
        key = key[..Encoding.UTF8.GetBytes(authToken, key)];
        HMACSHA1.HashData(key, preimage, mac);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>
    /// Ordinal by name, then (for a repeated name) the distinct values in ordinal order —
    /// what twilio-python and twilio-node do with multi-valued parameters.
    /// </summary>
    private static List<KeyValuePair<string, string>> SortedDistinct(IEnumerable<KeyValuePair<string, string>>? parameters)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (parameters is null)
        {
            return pairs;
        }

        foreach (var (name, value) in parameters)
        {
            pairs.Add(new(name ?? string.Empty, value ?? string.Empty));
        }

        pairs.Sort(static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Key, b.Key);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });

        var kept = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            if (kept == 0 || !string.Equals(pairs[i].Key, pairs[kept - 1].Key, StringComparison.Ordinal)
                || !string.Equals(pairs[i].Value, pairs[kept - 1].Value, StringComparison.Ordinal))
            {
                pairs[kept++] = pairs[i];
            }
        }

        pairs.RemoveRange(kept, pairs.Count - kept);
        return pairs;
    }
}
