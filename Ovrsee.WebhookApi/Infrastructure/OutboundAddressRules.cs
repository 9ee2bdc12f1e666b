using System.Net;
using System.Net.Sockets;

namespace Ovrsee.WebhookApi.Infrastructure;

/// <summary>
/// The server-side request forgery rules shared by every connection we open to a workspace-chosen
/// URL (the voice agent's WebSocket, outbound webhooks). Such a URL is workspace-controlled data:
/// without these rules a workspace could make us connect to our database, the cloud metadata
/// service (169.254.169.254) or anything else inside our network.
/// <list type="bullet">
/// <item>no user:pass@ in the URL (it would leak into logs).</item>
/// <item>the host is on the allowed-hosts list when that list is set (exact, or <c>*.example.com</c>).</item>
/// <item>every address we connect to is public unless private addresses are allowed (Development).
/// This is enforced in <see cref="ConnectAsync"/>, the socket connect callback, on the address
/// actually dialled after DNS, so DNS rebinding between a check and the connect cannot bypass it.</item>
/// </list>
/// The scheme rules differ per use (wss:// for agents, https:// for webhooks) and stay with each policy.
/// </summary>
public sealed class OutboundAddressRules
{
    private static readonly IPNetwork[] NonPublicNetworks =
    [
        // IPv4: "this" network, private, CGNAT, loopback, link-local (cloud metadata), IETF
        // protocol assignments, documentation, benchmarking, multicast, reserved and broadcast.
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        // IPv6: unspecified, loopback, discard, documentation, unique-local, link-local, multicast.
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly bool _allowPrivate;
    private readonly string[] _allowedHosts;

    public OutboundAddressRules(bool allowPrivate, IEnumerable<string> allowedHosts)
    {
        _allowPrivate = allowPrivate;
        _allowedHosts = [.. allowedHosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim())];
    }

    /// <summary>
    /// Checks an absolute URL's credentials, host and literal address (its scheme is the caller's
    /// business). Returns a refusal reason that is safe to store (it names no address), or null.
    /// </summary>
    public string? Refusal(Uri uri)
    {
        if (uri.UserInfo.Length > 0)
        {
            return "url-has-credentials";
        }
        if (_allowedHosts.Length > 0 && !_allowedHosts.Any(pattern => HostMatches(uri.IdnHost, pattern)))
        {
            return "host-not-allowed";
        }
        // A literal address is checked here too, so the refusal says why without dialling.
        if (IPAddress.TryParse(uri.IdnHost, out var literal) && !IsAllowedAddress(literal))
        {
            return "address-not-allowed";
        }
        return null;
    }

    public bool IsAllowedAddress(IPAddress address) => _allowPrivate || IsPublic(address);

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Addresses that carry an IPv4 address are as public as the address they carry.
            var bytes = address.GetAddressBytes();
            if (Nat64.Contains(address))
            {
                return IsPublic(new IPAddress(bytes.AsSpan(12, 4)));
            }
            if (SixToFour.Contains(address))
            {
                return IsPublic(new IPAddress(bytes.AsSpan(2, 4)));
            }
        }
        else if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        foreach (var network in NonPublicNetworks)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Resolves and dials the host, connecting only to addresses the rules allow. Used as
    /// SocketsHttpHandler.ConnectCallback, so it governs the address actually dialled.
    /// </summary>
    /// <exception cref="AddressNotAllowedException">No address of the host may be dialled.</exception>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(IsAllowedAddress).ToArray();
        if (allowed.Length == 0)
        {
            throw new AddressNotAllowedException(endpoint.Host);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool HostMatches(string host, string pattern) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase) && host.Length > pattern.Length - 1
            : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Every address a host resolved to is one we do not connect to (see <see cref="OutboundAddressRules"/>).</summary>
public sealed class AddressNotAllowedException(string host)
    : Exception($"No address of the host {host} is allowed (loopback, private, link-local and similar addresses are refused).")
{
    public const string Reason = "address-not-allowed";
}
