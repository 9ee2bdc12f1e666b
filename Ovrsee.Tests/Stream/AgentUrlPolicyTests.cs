using System.Net;
using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.Tests.Streaming;

public class AgentUrlPolicyTests
{
    private static readonly AgentUrlPolicy Production = new(allowInsecure: false, allowPrivate: false, allowedHosts: []);

    [Theory]
    [InlineData("wss://agent.example.com/aloha")]
    [InlineData("wss://agent.example.com:8443/aloha?tenant=1")]
    [InlineData("wss://93.184.215.14/aloha")]
    public void Public_wss_urls_are_allowed(string url)
    {
        Assert.NotNull(Production.Check(url, out var reason));
        Assert.Empty(reason);
    }

    [Theory]
    [InlineData("ws://agent.example.com/aloha", "url-not-tls")]
    [InlineData("https://agent.example.com/aloha", "url-scheme-not-allowed")]
    [InlineData("file:///etc/passwd", "url-scheme-not-allowed")]
    [InlineData("wss://user:secret@agent.example.com/aloha", "url-has-credentials")]
    [InlineData("not a url", "url-invalid")]
    [InlineData("", "url-invalid")]
    [InlineData("wss://127.0.0.1:5432/", "address-not-allowed")]
    [InlineData("wss://169.254.169.254/latest/meta-data", "address-not-allowed")]
    [InlineData("wss://10.1.2.3/", "address-not-allowed")]
    [InlineData("wss://[::1]/", "address-not-allowed")]
    [InlineData("wss://[::ffff:192.168.1.1]/", "address-not-allowed")]
    [InlineData("wss://[fd00::1]/", "address-not-allowed")]
    public void Everything_else_is_refused_with_a_reason_that_names_no_address(string url, string expected)
    {
        Assert.Null(Production.Check(url, out var reason));
        Assert.Equal(expected, reason);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.5.4")]
    [InlineData("192.168.0.10")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::a00:1")] // NAT64 of 10.0.0.1
    [InlineData("2002:a00:1::")] // 6to4 of 10.0.0.1
    public void Non_public_addresses_are_not_dialled(string address) =>
        Assert.False(AgentUrlPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    public void Public_addresses_are(string address) =>
        Assert.True(AgentUrlPolicy.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void An_allow_list_admits_only_its_hosts_and_their_subdomains_when_written_so()
    {
        var policy = new AgentUrlPolicy(allowInsecure: false, allowPrivate: false, allowedHosts: ["agent.ovrsee.ai", "*.aloha.example"]);

        Assert.NotNull(policy.Check("wss://agent.ovrsee.ai/x", out _));
        Assert.NotNull(policy.Check("wss://eu.aloha.example/x", out _));
        Assert.Null(policy.Check("wss://aloha.example/x", out var apex));
        Assert.Equal("host-not-allowed", apex);
        Assert.Null(policy.Check("wss://agent.ovrsee.ai.evil.example/x", out var suffix));
        Assert.Equal("host-not-allowed", suffix);
        Assert.Null(policy.Check("wss://evilaloha.example/x", out _));
    }

    [Fact]
    public void Development_settings_admit_a_local_agent()
    {
        var development = new AgentUrlPolicy(allowInsecure: true, allowPrivate: true, allowedHosts: []);

        Assert.NotNull(development.Check("ws://127.0.0.1:8765/agent", out _));
        Assert.True(development.IsAllowedAddress(IPAddress.Loopback));
    }
}
