using Ovrsee.Tests.Infrastructure;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Tests.Twilio;

/// <summary>
/// The SDK's synchronous methods would block a thread on the HTTP answer; with socket completions
/// inline (the WebhookApi's default) that thread can be the one the answer needs. Our client
/// refuses them before anything is sent, so a slip shows as an error, not as a hang under load.
/// </summary>
public class TwilioSynchronousApiTests
{
    [Fact]
    public void A_synchronous_resource_call_is_refused_and_nothing_is_sent()
    {
        // Nothing listens there: a request that went out would fail with a connection error instead.
        using var host = new TwilioClientHost(new Uri("http://127.0.0.1:9"));

        var refusal = Assert.Throws<NotSupportedException>(() => CallResource.Fetch("CA00000000000000000000000000000001", client: host.Client));

        Assert.Contains("Async", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(host.Sent);
    }

    [Fact]
    public async Task The_asynchronous_call_still_goes_out()
    {
        using var host = new TwilioClientHost(new Uri("http://127.0.0.1:9"));

        await Assert.ThrowsAsync<HttpRequestException>(() => CallResource.FetchAsync("CA00000000000000000000000000000001", client: host.Client));

        Assert.Contains(host.Sent, r => r.Uri.AbsolutePath.EndsWith("/Calls/CA00000000000000000000000000000001.json", StringComparison.Ordinal));
    }
}
