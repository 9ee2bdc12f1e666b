using System.Net.Sockets;
using System.Net;

namespace Ovrsee.Provisioning.WebhookConfiguration;

/// <summary>
/// Whether a URL can be given to Twilio as a webhook: Twilio calls from the internet, so
/// localhost, private and link-local addresses and private DNS names can never work, and plain
/// http is refused because production webhooks must be HTTPS. Names that merely do not resolve
/// are not refused here; the reachability check after configuring reports those.
/// </summary>
public static class PublicWebhookUrl
{
    public const string Setting = "Webhooks:PublicBaseUrl";

    private const string WhatToDo =
        "Set Webhooks:PublicBaseUrl (env Webhooks__PublicBaseUrl, or the seed's NEXT_PUBLIC_APP_URL) to the public https URL of the WebhookApi: " +
        "locally, start the system with a tunnel in front of it: 'dotnet run --project Ovrsee.AppHost -- --tunnel cloudflared' " +
        "(or --tunnel ngrok / devtunnel; a tunnel of your own: --public-url https://…); " +
        "in Azure, the WebhookApi's https address (WEBHOOK_PUBLIC_BASE_URL).";

    private static readonly IPNetwork[] NonPublicIPv4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/3"),
    ];

    // Suffixes that only resolve inside someone's network (RFC 6762 .local, RFC 8375 home.arpa, and common private zones).
    private static readonly string[] PrivateSuffixes = [".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain", ".intranet", ".corp"];

    /// <returns>Null when Twilio could be pointed at <paramref name="value"/>; otherwise why not and what to do.</returns>
    public static string? Refusal(string? value, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{Setting} is not set, so there is no URL to give Twilio. {WhatToDo}";
        }
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            return $"{Setting} ({value}) is not an absolute http(s) URL. {WhatToDo}";
        }
        if (parsed.Scheme != Uri.UriSchemeHttps)
        {
            return $"{Setting} is {value}: plain http. Twilio's webhooks must go to a public HTTPS URL. {WhatToDo}";
        }

        var host = parsed.IdnHost.TrimEnd('.');
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            if (IsNonPublic(address))
            {
                return $"{Setting} is {value}: {address} is a local or private address, which Twilio, calling from the internet, cannot reach. {WhatToDo}";
            }
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return $"{Setting} is {value}: localhost is this machine, which Twilio, calling from the internet, cannot reach. {WhatToDo}";
        }
        else if (!host.Contains('.') || PrivateSuffixes.Any(s => host.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
        {
            return $"{Setting} is {value}: {host} is a name only your own network resolves, so Twilio cannot reach it. {WhatToDo}";
        }

        uri = parsed;
        return null;
    }

    public static bool IsNonPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return NonPublicIPv4.Any(n => n.Contains(address));
        }
        return address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
            || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
    }
}

/// <summary>Twilio would be pointed at a URL it cannot reach; the message says what to configure.</summary>
public sealed class WebhookUrlNotPublicException(string message, bool twilioAlsoMissing = false) : InvalidOperationException(message)
{
    /// <summary>The Twilio credentials are missing too: the message names both, so one restart fixes everything.</summary>
    public bool TwilioAlsoMissing { get; } = twilioAlsoMissing;
}
