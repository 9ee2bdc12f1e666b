using Microsoft.AspNetCore.Http;
using Ovrsee.PublicUrls;

namespace Ovrsee.Tests.Twilio;

/// <summary>The URL rules shared by the webhooks, the stream and Provisioning (<see cref="PublicUrlRules"/>).</summary>
public class PublicUrlRulesTests
{
    private static HttpRequest Request(string scheme, string host, string pathBase, string path, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.PathBase = pathBase;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        return context.Request;
    }

    [Fact]
    public void Uses_the_request_itself_without_a_public_base_url() =>
        Assert.Equal(
            "https://Api.Example.com:8443/base/twilio/voice?foo=1&bar=2",
            PublicUrlRules.RequestUrl(Request("https", "Api.Example.com:8443", "/base", "/twilio/voice", "?foo=1&bar=2"), publicBaseUrl: null));

    [Theory]
    [InlineData("https://example.ngrok.app")]
    [InlineData("https://example.ngrok.app/")]
    public void Public_base_url_replaces_scheme_and_host(string publicBaseUrl) =>
        Assert.Equal(
            "https://example.ngrok.app/base/twilio/voice?x=1",
            PublicUrlRules.RequestUrl(
                Request("http", "127.0.0.1:5000", "/base", "/twilio/voice", "?x=1"),
                publicBaseUrl));

    [Fact]
    public void Public_base_url_may_carry_a_path_prefix() =>
        Assert.Equal(
            "https://ovrsee.example.com/api/twilio/voice",
            PublicUrlRules.RequestUrl(
                Request("http", "10.0.0.5", "", "/twilio/voice", ""),
                "https://ovrsee.example.com/api/"));

    [Fact]
    public void Query_is_not_re_encoded() =>
        Assert.Equal(
            "http://localhost/hook?Body=It's+amazing&x=%2B1%20",
            PublicUrlRules.RequestUrl(Request("http", "localhost", "", "/hook", "?Body=It's+amazing&x=%2B1%20"), publicBaseUrl: null));

    [Theory]
    [InlineData(null, "https", "ovrsee.example.com", "wss://ovrsee.example.com/api/aloha/stream")]
    [InlineData(null, "http", "127.0.0.1:5180", "ws://127.0.0.1:5180/api/aloha/stream")]
    [InlineData("https://example.ngrok.app/", "http", "127.0.0.1:5180", "wss://example.ngrok.app/api/aloha/stream")]
    public void A_websocket_upgrade_is_signed_with_the_ws_scheme_twilio_dialled(string? publicBaseUrl, string scheme, string host, string expected) =>
        Assert.Equal(
            expected,
            PublicUrlRules.WebSocketRequestUrl(
                Request(scheme, host, "", "/api/aloha/stream", ""),
                publicBaseUrl));
}
