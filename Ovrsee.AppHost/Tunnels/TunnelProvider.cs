using System.Text.RegularExpressions;

namespace Ovrsee.AppHost.Tunnels;

/// <summary>
/// A tunnel CLI that gives a local port a public HTTPS URL (Twilio cannot call 127.0.0.1):
/// how to start it, and how to find the URL in what it prints.
/// </summary>
internal sealed partial record TunnelProvider(string Name, string Executable, Func<int, string[]> Arguments, Regex PublicUrl, string InstallHint)
{
    /// <summary>Microsoft Dev Tunnels; needs 'devtunnel user login' once.</summary>
    public static TunnelProvider DevTunnel { get; } = new("devtunnel", "devtunnel",
        port => ["host", "-p", port.ToString(), "--allow-anonymous"],
        DevTunnelUrl(),
        "Install it from https://aka.ms/devtunnels/download, then run 'devtunnel user login' once.");

    // ngrok's "localhost" may resolve to ::1, where the services do not listen.
    public static TunnelProvider Ngrok { get; } = new("ngrok", "ngrok",
        port => ["http", $"127.0.0.1:{port}", "--log", "stdout", "--log-format", "json"],
        NgrokUrl(),
        "Install it from https://ngrok.com/download, then run 'ngrok config add-authtoken <token>' once.");

    public static TunnelProvider Cloudflared { get; } = new("cloudflared", "cloudflared",
        port => ["tunnel", "--no-autoupdate", "--url", $"http://127.0.0.1:{port}"],
        CloudflaredUrl(),
        "Install it from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/ (no account needed for quick tunnels).");

    public static IReadOnlyList<TunnelProvider> All { get; } = [DevTunnel, Ngrok, Cloudflared];

    public static bool TryParse(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TunnelProvider? provider)
    {
        provider = All.FirstOrDefault(p => string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
        return provider is not null;
    }

    public string? TryReadPublicUrl(string line) =>
        PublicUrl.Match(line) is { Success: true } match ? match.Groups["url"].Value : null;

    // "Connect via browser: https://x.usw2.devtunnels.ms:5180, https://x-5180.usw2.devtunnels.ms":
    // the form without a port is the one on 443, which Twilio requires.
    [GeneratedRegex(@"Connect via browser:.*?(?<url>https://[a-z0-9.-]+\.devtunnels\.ms)(?![:\w.-])", RegexOptions.IgnoreCase)]
    private static partial Regex DevTunnelUrl();

    // JSON log lines ("url":"https://…") or the logfmt default (url=https://…).
    [GeneratedRegex(@"(?:""url"":""|\burl=)(?<url>https://[^""\s]+)")]
    private static partial Regex NgrokUrl();

    // Printed in a box on stderr; api.trycloudflare.com appears in errors and is not the tunnel.
    [GeneratedRegex(@"(?<url>https://(?!api\.)[a-z0-9-]+\.trycloudflare\.com)(?![\w/.-])", RegexOptions.IgnoreCase)]
    private static partial Regex CloudflaredUrl();

    public override string ToString() => Name;
}
