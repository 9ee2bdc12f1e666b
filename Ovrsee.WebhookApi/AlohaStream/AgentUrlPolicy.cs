using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// Which agent URLs we connect to. workspaces.agent_stream_url is workspace-controlled data, so
/// connecting to it is a server-side request forgery risk: a workspace could point it at our
/// database, the cloud metadata service (169.254.169.254) or anything else inside our network.
/// Rules, all of which must pass:
/// <list type="bullet">
/// <item>ws:// or wss:// only; ws:// only when <see cref="AlohaStreamOptions.AllowInsecureAgentUrls"/> (default: Development only).</item>
/// <item>no user:pass@ in the URL (it would leak into logs and is not how agents authenticate).</item>
/// <item>the host is on <see cref="AlohaStreamOptions.AllowedAgentHosts"/> when that list is set.</item>
/// <item>every address we connect to is public unless <see cref="AlohaStreamOptions.AllowPrivateAgentAddresses"/>
/// (default: Development only). This is enforced in the socket connect callback on the address
/// actually dialled, after DNS, so DNS rebinding between a check and the connect cannot bypass it.</item>
/// </list>
/// </summary>
public sealed class AgentUrlPolicy
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

    private readonly bool _allowInsecure;
    private readonly bool _allowPrivate;
    private readonly string[] _allowedHosts;

    public AgentUrlPolicy(IOptions<AlohaStreamOptions> options, IHostEnvironment environment)
    {
        var value = options.Value;
        _allowInsecure = value.AllowInsecureAgentUrls ?? environment.IsDevelopment();
        _allowPrivate = value.AllowPrivateAgentAddresses ?? environment.IsDevelopment();
        _allowedHosts = [.. value.AllowedAgentHosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim())];
    }

    public AgentUrlPolicy(bool allowInsecure, bool allowPrivate, string[] allowedHosts)
    {
        _allowInsecure = allowInsecure;
        _allowPrivate = allowPrivate;
        _allowedHosts = allowedHosts;
    }

    /// <summary>The URL to dial, or a refusal reason that is safe to store (it names no address).</summary>
    public Uri? Check(string? url, out string reason)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            reason = "url-invalid";
            return null;
        }
        if (uri.Scheme != "wss" && !(uri.Scheme == "ws" && _allowInsecure))
        {
            reason = uri.Scheme == "ws" ? "url-not-tls" : "url-scheme-not-allowed";
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            reason = "url-has-credentials";
            return null;
        }
        if (_allowedHosts.Length > 0 && !_allowedHosts.Any(pattern => HostMatches(uri.IdnHost, pattern)))
        {
            reason = "host-not-allowed";
            return null;
        }
        // A literal address is checked here too, so the refusal says why without dialling.
        if (IPAddress.TryParse(uri.IdnHost, out var literal) && !IsAllowedAddress(literal))
        {
            reason = "address-not-allowed";
            return null;
        }
        reason = "";
        return uri;
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
    /// Resolves and dials the agent's host, connecting only to addresses the policy allows. Used
    /// as SocketsHttpHandler.ConnectCallback, so it governs the address actually dialled.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(IsAllowedAddress).ToArray();
        if (allowed.Length == 0)
        {
            throw new VoiceAgentUnavailableException("address-not-allowed", $"No address of the agent host {endpoint.Host} is allowed.");
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
