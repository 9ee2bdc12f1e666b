using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>
/// Strict <c>application/x-www-form-urlencoded</c> parsing of a buffered body. Our own rather
/// than ASP.NET's form reader because the signature needs every pair in order (repeats
/// included) and the raw bytes, and because a malformed body must become a 400, not an exception.
/// </summary>
internal static class FormUrlEncodedBody
{
    // ASP.NET Core's default form value-count limit; a Twilio webhook carries a few dozen.
    internal const int MaxPairs = 1024;

    public static bool TryParse(ReadOnlySpan<byte> body, out List<KeyValuePair<string, string>> pairs)
    {
        pairs = [];
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        try
        {
            foreach (var range in body.Split((byte)'&'))
            {
                var segment = body[range];
                if (segment.IsEmpty)
                {
                    continue;
                }

                if (pairs.Count == MaxPairs)
                {
                    return false;
                }

                var equals = segment.IndexOf((byte)'=');
                var rawName = equals < 0 ? segment : segment[..equals];
                var rawValue = equals < 0 ? [] : segment[(equals + 1)..];
                if (!TryDecode(rawName, scratch, out var name) || !TryDecode(rawValue, scratch, out var value))
                {
                    return false;
                }

                pairs.Add(new(name, value));
            }

            return true;
        }
        finally
        {
            scratch.AsSpan(0, body.Length).Clear(); // it held caller data
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static bool TryDecode(ReadOnlySpan<byte> encoded, byte[] scratch, out string decoded)
    {
        decoded = string.Empty;
        var length = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == (byte)'+')
            {
                scratch[length++] = (byte)' ';
            }
            else if (b != (byte)'%')
            {
                scratch[length++] = b;
            }
            else if (i + 2 < encoded.Length && HexValue(encoded[i + 1]) is var high and >= 0 && HexValue(encoded[i + 2]) is var low and >= 0)
            {
                scratch[length++] = (byte)((high << 4) | low);
                i += 2;
            }
            else
            {
                return false;
            }
        }

        var bytes = scratch.AsSpan(0, length);
        if (!Utf8.IsValid(bytes))
        {
            return false;
        }

        decoded = Encoding.UTF8.GetString(bytes);
        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
