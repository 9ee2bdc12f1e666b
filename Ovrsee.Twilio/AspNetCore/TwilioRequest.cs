using System.Diagnostics.CodeAnalysis;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>
/// A webhook request whose signature has been verified, as handed to the endpoint by
/// <see cref="ValidateTwilioRequestFilter"/>. Get it with <c>context.GetTwilioRequest()</c>.
/// </summary>
public sealed class TwilioRequest
{
    public const string IdempotencyTokenHeader = "I-Twilio-Idempotency-Token";

    public TwilioRequest(
        string signedUrl,
        IReadOnlyList<KeyValuePair<string, string>> parameters,
        ReadOnlyMemory<byte> rawBody,
        bool isJson,
        string? idempotencyToken)
    {
        SignedUrl = signedUrl;
        Parameters = parameters;
        RawBody = rawBody;
        IsJson = isJson;
        IdempotencyToken = idempotencyToken;
    }

    /// <summary>The URL the signature was verified against.</summary>
    public string SignedUrl { get; }

    /// <summary>Every form pair in body order; a repeated name appears once per value. Empty for JSON bodies.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; }

    /// <summary>The body exactly as received (form-encoded or JSON).</summary>
    public ReadOnlyMemory<byte> RawBody { get; }

    /// <summary>True for a JSON body (bound to the URL by <c>bodySHA256</c>); parse <see cref="RawBody"/> yourself.</summary>
    public bool IsJson { get; }

    /// <summary>Twilio's <c>I-Twilio-Idempotency-Token</c>: the same value on retries of one event.</summary>
    public string? IdempotencyToken { get; }

    /// <summary>The first value of a parameter (names are case-sensitive, as Twilio sends them), or null.</summary>
    public string? this[string name] => TryGetValue(name, out var value) ? value : null;

    // A linear scan: webhooks carry a few dozen parameters, fewer than make a dictionary pay.
    public bool TryGetValue(string name, [NotNullWhen(true)] out string? value)
    {
        foreach (var (key, candidate) in Parameters)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>All values of a parameter, in body order.</summary>
    public IReadOnlyList<string> GetValues(string name)
    {
        List<string>? values = null;
        foreach (var (key, value) in Parameters)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                (values ??= []).Add(value);
            }
        }

        return values ?? (IReadOnlyList<string>)[];
    }
}
