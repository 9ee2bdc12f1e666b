using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio.AspNetCore;

namespace Ovrsee.WebhookApi.Extensions;

public static class ForwardedHeadersExtensions
{
    /// <summary>
    /// X-Forwarded-For and X-Forwarded-Proto are believed only from the proxies named in
    /// <c>Webhooks:TrustedProxies</c>; with none named, from nobody. They decide the address the
    /// rejected-traffic limiter counts against and, without a public base URL, the URL a signature
    /// is checked against and the one our TwiML points back to, so a sender we do not know must not
    /// be able to choose them.
    /// </summary>
    /// <remarks>
    /// ASP.NET Core treats empty KnownProxies and KnownIPNetworks as "trust every sender", and its
    /// default (loopback only) would trust anything on the same host; neither is what an empty
    /// setting should mean. X-Forwarded-Host is never applied: proxies that keep the Host header
    /// (Azure Container Apps' ingress does) need it not, and a proxy that passes a client's
    /// X-Forwarded-Host through unchanged would hand the host to the client. Behind a proxy that
    /// rewrites Host, set <c>Webhooks:PublicBaseUrl</c>.
    /// </remarks>
    public static IHostApplicationBuilder AddForwardedHeadersFromTrustedProxies(this IHostApplicationBuilder builder)
    {
        var proxies = builder.Configuration.GetSection($"{WebhookOptions.SectionName}:{nameof(WebhookOptions.TrustedProxies)}").Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            if (proxies.Length == 0)
            {
                options.ForwardedHeaders = ForwardedHeaders.None;
                return;
            }

            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in proxies)
            {
                // WebhookOptionsValidator has already refused anything else at start-up.
                if (IPAddress.TryParse(proxy, out var address))
                {
                    options.KnownProxies.Add(address);
                }
                else if (System.Net.IPNetwork.TryParse(proxy, out var network))
                {
                    options.KnownIPNetworks.Add(network);
                }
            }
        });
        return builder;
    }
}
