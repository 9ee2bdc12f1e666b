using Microsoft.AspNetCore.Http;

namespace Ovrsee.PublicUrls;

/// <summary>
/// The one home of our URL rules: what Twilio calls us at, for signature checks, the TwiML we
/// answer with, the Media Stream handshake, and the webhooks Provisioning configures on a number.
/// <list type="bullet">
/// <item>The base is <see cref="WebhookOptions.PublicBaseUrl"/> when set (a tunnel, a load balancer:
/// what Twilio dialled), else the request's own scheme and host, which ASP.NET Core reports after
/// the ForwardedHeaders middleware (trusting only <see cref="WebhookOptions.TrustedProxies"/>) has
/// run; then the request's PathBase.</item>
/// <item>A request's URL is the base, its Path, and its query exactly as received: Twilio signed
/// the bytes it sent, and any re-encoding could change them.</item>
/// <item>A WebSocket URL is the http(s) one with https→wss and http→ws: Twilio signs the wss:// URL
/// it dialled, while ASP.NET Core reports the upgrade request as http(s).</item>
/// </list>
/// </summary>
public static class PublicUrlRules
{
    /// <summary>The base the caller reached us under, without a trailing '/'.</summary>
    /// <param name="publicBaseUrl">The configured <see cref="WebhookOptions.PublicBaseUrl"/>, if any.</param>
    public static string BaseUrl(HttpRequest request, string? publicBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(request);

        var origin = string.IsNullOrWhiteSpace(publicBaseUrl)
            ? string.Concat(request.Scheme, "://", request.Host.ToUriComponent())
            : publicBaseUrl.Trim().TrimEnd('/');
        return origin + request.PathBase.ToUriComponent();
    }

    /// <summary>The full URL the caller requested, as it dialled it.</summary>
    public static string RequestUrl(HttpRequest request, string? publicBaseUrl) =>
        string.Concat(BaseUrl(request, publicBaseUrl), request.Path.ToUriComponent(), request.QueryString.Value ?? string.Empty);

    /// <summary>The URL a WebSocket client dialled for this upgrade request.</summary>
    public static string WebSocketRequestUrl(HttpRequest request, string? publicBaseUrl) =>
        ToWebSocket(RequestUrl(request, publicBaseUrl));

    /// <summary>https→wss, http→ws; anything else unchanged.</summary>
    public static string ToWebSocket(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? string.Concat("wss://", url.AsSpan("https://".Length))
            : url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? string.Concat("ws://", url.AsSpan("http://".Length))
            : url;
    }
}
