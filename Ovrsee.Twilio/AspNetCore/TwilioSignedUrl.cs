using Microsoft.AspNetCore.Http;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>The URL Twilio signed when it sent a request to us.</summary>
public static class TwilioSignedUrl
{
    /// <summary>
    /// <see cref="WebhookOptions.PublicBaseUrl"/> (when set) or the request's own scheme and host,
    /// followed by PathBase, Path and the query string exactly as received.
    /// </summary>
    /// <remarks>
    /// Without a PublicBaseUrl the scheme and host are trusted as ASP.NET Core reports them, so
    /// behind a proxy the ForwardedHeaders middleware (limited to
    /// <see cref="WebhookOptions.TrustedProxies"/>) must already have run. The query is not
    /// re-encoded: Twilio signed the bytes it sent, and any re-encoding could change them.
    /// </remarks>
    public static string FromRequest(HttpRequest request, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);

        var pathBase = request.PathBase.ToUriComponent();
        var path = request.Path.ToUriComponent();
        var query = request.QueryString.Value ?? string.Empty;

        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl))
        {
            return string.Concat(options.PublicBaseUrl.Trim().TrimEnd('/'), pathBase, path, query);
        }

        return string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), pathBase + path, query);
    }

    /// <summary>
    /// The URL Twilio signed when it opened a Media Streams WebSocket to us: the wss:// (or ws://)
    /// URL from the TwiML, i.e. <see cref="FromRequest"/> with https→wss and http→ws. ASP.NET Core
    /// reports the upgrade request's scheme as http(s), and a PublicBaseUrl is an https origin;
    /// Twilio signs the URL it dialled.
    /// </summary>
    public static string FromWebSocketRequest(HttpRequest request, WebhookOptions options)
    {
        var url = FromRequest(request, options);
        return url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? string.Concat("wss://", url.AsSpan("https://".Length))
            : url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? string.Concat("ws://", url.AsSpan("http://".Length))
            : url;
    }
}
