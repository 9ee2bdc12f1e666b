using System.Net;
using Microsoft.Extensions.Options;
using Ovrsee.Provisioning.Infrastructure;

namespace Ovrsee.Provisioning.WebhookConfiguration;

/// <summary>
/// Asks our own /health through the public URL, the way Twilio will reach the webhooks. It does
/// not fail the request that configured the number: the number is set up either way, and the
/// answer tells the admin whether calls will actually arrive.
/// </summary>
public sealed class PublicUrlProbe(IHttpClientFactory httpClientFactory, IOptionsMonitor<ProvisioningOptions> options, TimeProvider time)
{
    public const string HttpClientName = "public-url-probe";

    public async Task<PublicUrlCheck> CheckAsync(string healthUrl, CancellationToken cancellationToken)
    {
        var timeout = options.CurrentValue.PublicUrlProbeTimeout;
        using var http = httpClientFactory.CreateClient(HttpClientName);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.GetAsync(healthUrl, deadline.Token);
            var status = (int)response.StatusCode;
            var detail = response.StatusCode switch
            {
                HttpStatusCode.OK => $"{healthUrl} answered 200: the WebhookApi is reachable there, so Twilio's webhooks should arrive.",
                HttpStatusCode.ServiceUnavailable => $"{healthUrl} answered 503: the WebhookApi is reachable but unhealthy (is its database up?). Calls will fail until it is healthy.",
                HttpStatusCode.NotFound => $"{healthUrl} answered 404: something answers at this URL, but not the WebhookApi. Does the tunnel or ingress point at the WebhookApi (port 5180 under the AppHost)?",
                _ when status is >= 300 and < 400 => $"{healthUrl} redirects ({status}) to {response.Headers.Location}: set Webhooks:PublicBaseUrl to where it ends up, because Twilio signs the exact URL it calls.",
                _ => $"{healthUrl} answered {status}: Twilio's webhooks would likely fail the same way.",
            };
            return new PublicUrlCheck(healthUrl, response.StatusCode == HttpStatusCode.OK, status, detail, time.GetUtcNow());
        }
        catch (HttpRequestException ex)
        {
            return Unreachable(healthUrl, $"{healthUrl} did not answer ({ex.HttpRequestError}: {ex.Message}). Twilio will not reach the webhooks either: is the tunnel running and pointing at the WebhookApi, and is Webhooks:PublicBaseUrl its current address?");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Unreachable(healthUrl, $"{healthUrl} did not answer within {timeout.TotalSeconds:0.#} s. Twilio gives up on webhooks after 15 s; check the tunnel or ingress in front of the WebhookApi.");
        }
    }

    private PublicUrlCheck Unreachable(string url, string detail) => new(url, false, null, detail, time.GetUtcNow());
}
