namespace Ovrsee.PublicUrls;

/// <summary>
/// How the WebhookApi is seen from Twilio's side: the application's setting, read by the
/// WebhookApi (signatures, TwiML, the stream) and by Provisioning (where to point numbers).
/// Bound from the <c>Webhooks</c> section; <see cref="PublicBaseUrl"/> falls back to the seed's
/// <c>NEXT_PUBLIC_APP_URL</c>. The rules that turn it into URLs are in <see cref="PublicUrlRules"/>.
/// </summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";
    public const int DefaultMaxBodyBytes = 64 * 1024;

    /// <summary>
    /// The public origin (plus optional path prefix) Twilio calls, e.g. <c>https://example.ngrok.app</c>.
    /// When set, signatures are checked against this rather than the request's own scheme and host,
    /// which behind a tunnel or load balancer are not what Twilio signed.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// IP addresses and CIDR ranges of the reverse proxies whose <c>X-Forwarded-*</c> headers the
    /// host may trust. Not used here: the host feeds them to ASP.NET Core's ForwardedHeaders
    /// middleware, which must run before the signature filter when <see cref="PublicBaseUrl"/> is unset.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Largest webhook body accepted; Twilio's form posts are a few KB.</summary>
    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;
}
