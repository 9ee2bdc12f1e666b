using System.Net;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// Which agent URLs we connect to. workspaces.agent_stream_url is workspace-controlled data, so
/// connecting to it is a server-side request forgery risk: a workspace could point it at our
/// database, the cloud metadata service (169.254.169.254) or anything else inside our network.
/// The address part is <see cref="OutboundAddressRules"/>, shared with outbound webhooks.
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
    private readonly bool _allowInsecure;
    private readonly OutboundAddressRules _addresses;

    public AgentUrlPolicy(IOptions<AlohaStreamOptions> options, IHostEnvironment environment)
    {
        var value = options.Value;
        _allowInsecure = value.AllowInsecureAgentUrls ?? environment.IsDevelopment();
        _addresses = new OutboundAddressRules(value.AllowPrivateAgentAddresses ?? environment.IsDevelopment(), value.AllowedAgentHosts);
    }

    public AgentUrlPolicy(bool allowInsecure, bool allowPrivate, string[] allowedHosts)
    {
        _allowInsecure = allowInsecure;
        _addresses = new OutboundAddressRules(allowPrivate, allowedHosts);
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
        if (_addresses.Refusal(uri) is { } refusal)
        {
            reason = refusal;
            return null;
        }
        reason = "";
        return uri;
    }

    public bool IsAllowedAddress(IPAddress address) => _addresses.IsAllowedAddress(address);

    public static bool IsPublic(IPAddress address) => OutboundAddressRules.IsPublic(address);

    /// <summary>
    /// Resolves and dials the agent's host, connecting only to addresses the policy allows. Used
    /// as SocketsHttpHandler.ConnectCallback, so it governs the address actually dialled.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await _addresses.ConnectAsync(context, cancellationToken);
        }
        catch (AddressNotAllowedException ex)
        {
            throw new VoiceAgentUnavailableException(AddressNotAllowedException.Reason, $"No address of the agent host {context.DnsEndPoint.Host} is allowed.", ex);
        }
    }
}
