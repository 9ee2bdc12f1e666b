using Ovrsee.Twilio.Signatures;

namespace Ovrsee.Twilio;

/// <summary>
/// Validation of Twilio's <c>X-Twilio-Signature</c> header, matching Twilio's helper libraries:
/// base64 HMAC-SHA1, keyed with the Auth Token, over the full URL followed by every POST
/// parameter as name+value sorted by name (ordinal), no delimiters. For JSON bodies the URL
/// carries <c>bodySHA256</c> and only the URL is signed.
/// </summary>
public static class TwilioSignature
{
    public const string HeaderName = "X-Twilio-Signature";

    /// <summary>Query parameter that binds a JSON body to a signed URL.</summary>
    public const string BodyHashParameter = BodyHash.ParameterName;

    /// <summary>
    /// The signature Twilio would send for this URL (exactly as written, less any
    /// <c>user:pass@</c>) and these parameters. Repeated names keep their distinct values, sorted.
    /// </summary>
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>>? parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(authToken);
        ArgumentNullException.ThrowIfNull(url);

        string[] candidate = [SignedUrlCandidates.Canonical(url)];
        using var preimage = new SignaturePreimage(candidate, parameters);
        return preimage.Compute(authToken, candidate[0]);
    }

    /// <summary>
    /// True when <paramref name="signature"/> was made by any of <paramref name="authTokens"/> over
    /// <paramref name="url"/> (as given, with its port toggled, with its query percent-encoded as
    /// twilio-node does, and optionally with a trailing '/') and <paramref name="parameters"/>.
    /// Comparison is constant-time.
    /// </summary>
    /// <param name="alsoTryTrailingSlash">Set for Media Streams WebSocket handshakes.</param>
    public static bool IsValid(
        string url,
        IEnumerable<KeyValuePair<string, string>>? parameters,
        string? signature,
        IEnumerable<string> authTokens,
        bool alsoTryTrailingSlash = false)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(authTokens);

        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var candidates = SignedUrlCandidates.For(url, alsoTryTrailingSlash);
        using var preimage = new SignaturePreimage(candidates, parameters);
        return preimage.AnyMatches(candidates, authTokens, signature);
    }

    /// <summary>
    /// Validates a JSON-bodied webhook: the URL must carry <c>bodySHA256</c> equal to the SHA-256
    /// (lower-case hex) of <paramref name="body"/>, and the signature must cover the URL alone.
    /// </summary>
    public static bool IsValidJson(string url, ReadOnlySpan<byte> body, string? signature, IEnumerable<string> authTokens)
    {
        ArgumentNullException.ThrowIfNull(url);

        if (!BodyHash.TryFind(url, out var expectedHash))
        {
            return false;
        }

        var bodyMatches = BodyHash.Matches(body, expectedHash);
        return IsValid(url, parameters: null, signature, authTokens) && bodyMatches;
    }

    /// <summary>
    /// Validates the signature on a Media Streams WebSocket handshake (no parameters; the
    /// URL is tried with and without a trailing '/').
    /// </summary>
    public static bool IsValidWebSocketHandshake(string url, string? signature, IEnumerable<string> authTokens) =>
        IsValid(url, parameters: null, signature, authTokens, alsoTryTrailingSlash: true);

    /// <summary>Lower-case hex SHA-256 of a body, as Twilio puts in <c>bodySHA256</c>.</summary>
    public static string ComputeBodyHash(ReadOnlySpan<byte> body) => BodyHash.Compute(body);

    /// <summary>True when the URL carries a non-empty <c>bodySHA256</c> query parameter.</summary>
    public static bool HasBodyHash(string url) => BodyHash.TryFind(url, out _);
}
