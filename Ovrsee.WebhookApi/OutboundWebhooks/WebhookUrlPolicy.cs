using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <summary>
/// Which webhook endpoint URLs we POST to: https:// (http:// only when
/// <see cref="OutboundWebhookOptions.AllowInsecureUrls"/>, by default in Development), plus the
/// same SSRF rules as agent URLs (<see cref="OutboundAddressRules"/>): no credentials, allowed
/// hosts, and a public address, enforced again at connect time on the address actually dialled.
/// </summary>
public sealed class WebhookUrlPolicy
{
    public const int MaxUrlLength = 2048;

    private readonly bool _allowInsecure;

    public WebhookUrlPolicy(IOptions<OutboundWebhookOptions> options, IHostEnvironment environment)
    {
        var value = options.Value;
        _allowInsecure = value.AllowInsecureUrls ?? environment.IsDevelopment();
        Addresses = new OutboundAddressRules(value.AllowPrivateAddresses ?? environment.IsDevelopment(), value.AllowedHosts);
    }

    /// <summary>The address rules the sender's connect callback applies.</summary>
    public OutboundAddressRules Addresses { get; }

    /// <summary>The normalised URL, or a refusal reason that is safe to store and show.</summary>
    public Uri? Check(string? url, out string reason)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            reason = "url-invalid";
            return null;
        }
        if (url.Length > MaxUrlLength)
        {
            reason = "url-too-long";
            return null;
        }
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && _allowInsecure))
        {
            reason = uri.Scheme == Uri.UriSchemeHttp ? "url-not-tls" : "url-scheme-not-allowed";
            return null;
        }
        if (uri.Fragment.Length > 0)
        {
            reason = "url-has-fragment";
            return null;
        }
        if (Addresses.Refusal(uri) is { } refusal)
        {
            reason = refusal;
            return null;
        }
        reason = "";
        return uri;
    }

    public static string Explain(string reason) => reason switch
    {
        "url-not-tls" => "Must be https:// (this deployment does not allow unencrypted http://).",
        "url-scheme-not-allowed" => "Must be an https:// URL.",
        "url-has-credentials" => "Must not contain user:password@ (it would be logged; receivers verify the signature instead).",
        "url-has-fragment" => "Must not contain a #fragment (it is never sent).",
        "url-too-long" => $"At most {MaxUrlLength} characters.",
        "host-not-allowed" => "The host is not on this deployment's list of allowed webhook hosts (OutboundWebhooks:AllowedHosts).",
        "address-not-allowed" => "The address is not public (loopback, private, link-local and similar addresses are refused).",
        _ => "Not an absolute https:// URL.",
    };
}
