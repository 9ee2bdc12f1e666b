extern alias apphost;

using apphost::Ovrsee.AppHost.Tunnels;

namespace Ovrsee.Tests.AppHost;

/// <summary>The public URL as each CLI prints it (formats copied from their output), and what must not be taken for it.</summary>
public class TunnelProviderTests
{
    [Theory]
    [InlineData("cloudflared", "2026-01-01T10:00:00Z INF |  https://stand-in-words-here.trycloudflare.com                                                |", "https://stand-in-words-here.trycloudflare.com")]
    [InlineData("ngrok", """{"addr":"http://127.0.0.1:5180","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","url":"https://ab12-203-0-113-7.ngrok-free.app"}""", "https://ab12-203-0-113-7.ngrok-free.app")]
    [InlineData("ngrok", "t=2026-01-01T10:00:00+0000 lvl=info msg=\"started tunnel\" obj=tunnels name=command_line addr=http://127.0.0.1:5180 url=https://ab12.ngrok.app", "https://ab12.ngrok.app")]
    [InlineData("devtunnel", "Connect via browser: https://x1y2z3.usw2.devtunnels.ms:5180, https://x1y2z3-5180.usw2.devtunnels.ms", "https://x1y2z3-5180.usw2.devtunnels.ms")]
    public void Finds_the_public_url(string provider, string line, string url) =>
        Assert.Equal(url, Provider(provider).TryReadPublicUrl(line));

    [Theory]
    [InlineData("cloudflared", "2026-01-01T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...")]
    [InlineData("cloudflared", "ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com")]
    [InlineData("ngrok", """{"lvl":"info","msg":"client session established","obj":"csess"}""")]
    [InlineData("devtunnel", "Inspect network activity: https://x1y2z3-5180-inspect.usw2.devtunnels.ms")]
    public void Ignores_lines_without_the_tunnel_url(string provider, string line) =>
        Assert.Null(Provider(provider).TryReadPublicUrl(line));

    [Fact]
    public void Each_cli_is_pointed_at_the_ipv4_loopback_port()
    {
        Assert.Equal(["tunnel", "--no-autoupdate", "--url", "http://127.0.0.1:5180"], TunnelProvider.Cloudflared.Arguments(5180));
        Assert.Equal(["http", "127.0.0.1:5180", "--log", "stdout", "--log-format", "json"], TunnelProvider.Ngrok.Arguments(5180));
        Assert.Equal(["host", "-p", "5180", "--allow-anonymous"], TunnelProvider.DevTunnel.Arguments(5180));
        Assert.False(TunnelProvider.TryParse("frp", out _));
    }

    private static TunnelProvider Provider(string name) => TunnelProvider.TryParse(name, out var provider) ? provider : throw new ArgumentException(name);
}
