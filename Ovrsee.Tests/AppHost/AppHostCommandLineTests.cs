extern alias apphost;

using apphost::Ovrsee.AppHost;

namespace Ovrsee.Tests.AppHost;

/// <summary>Checked before anything starts: help, mistyped options and bad values are one line and an exit code.</summary>
public class AppHostCommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_prints_the_options_and_starts_nothing(string option)
    {
        var output = new StringWriter();
        Assert.Equal(0, AppHostCommandLine.Check([option], output, TextWriter.Null));
        Assert.Contains("--postgres-container", output.ToString());
    }

    [Theory]
    [InlineData("--webhookapi-prot 5190", "Unknown option '--webhookapi-prot'")]
    [InlineData("--webhookapi-port abc", "--webhookapi-port abc: not a port number")]
    [InlineData("--tunnel frp", "--tunnel frp: unknown tunnel. Use one of: devtunnel, ngrok, cloudflared.")]
    [InlineData("--postgres-container maybe", "use auto, true or false")]
    [InlineData("--public-url http://example.com", "plain http")]
    [InlineData("--public-url https://localhost:5180", "localhost is this machine")]
    [InlineData("--public-url https://192.168.1.20", "local or private address")]
    [InlineData("--state-dir", "needs a value")]
    [InlineData("--recordings-storage blob", "--recordings-storage blob: use auto, azurite or folder.")]
    public void A_bad_option_or_value_is_one_line_and_exit_code_2(string arguments, string expected)
    {
        var errors = new StringWriter();
        Assert.Equal(2, AppHostCommandLine.Check(arguments.Split(' '), TextWriter.Null, errors));
        var error = errors.ToString();
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Missing_public_url_advice_points_to_our_tunnel_option()
    {
        Assert.Contains("--tunnel cloudflared", Ovrsee.Provisioning.WebhookConfiguration.PublicWebhookUrl.Refusal(null, out _));
        Assert.DoesNotContain("ngrok http 5180", Ovrsee.Provisioning.WebhookConfiguration.PublicWebhookUrl.Refusal(null, out _));
    }

    [Fact]
    public void Good_options_and_any_configuration_key_pass()
    {
        Assert.Null(AppHostCommandLine.Check(["--webhookapi-port", "0", "--tunnel=cloudflared", "--public-url", "https://abc.trycloudflare.com", "--Logging:LogLevel:Default=Debug"], TextWriter.Null, TextWriter.Null));
    }
}
