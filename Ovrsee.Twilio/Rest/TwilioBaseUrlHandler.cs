using Microsoft.Extensions.Options;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// Sends the SDK's requests for https://api.twilio.com to <see cref="TwilioOptions.BaseUrl"/> when
/// that is set to something else (a local double, Prism). The SDK builds its URLs from fixed domains.
/// </summary>
internal sealed class TwilioBaseUrlHandler(IOptionsMonitor<TwilioOptions> options) : DelegatingHandler
{
    private static readonly Uri TwilioApi = new(TwilioOptions.DefaultBaseUrl);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri
            && string.Equals(uri.Host, TwilioApi.Host, StringComparison.OrdinalIgnoreCase)
            && Uri.TryCreate(options.CurrentValue.BaseUrl, UriKind.Absolute, out var target)
            && target != TwilioApi)
        {
            request.RequestUri = new UriBuilder(uri)
            {
                Scheme = target.Scheme,
                Host = target.Host,
                Port = target.Port,
                Path = target.AbsolutePath.TrimEnd('/') + uri.AbsolutePath,
            }.Uri;
        }
        return base.SendAsync(request, cancellationToken);
    }
}
