using System.Net;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio;

namespace Ovrsee.Tests.Webhooks;

/// <summary>No public base URL and no trusted proxy: X-Forwarded-* from anyone changes nothing.</summary>
public class UntrustedForwardedHeadersApi : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["RateLimiting__Webhooks__PermitsPerSecond"] = "1",
        ["RateLimiting__Webhooks__Burst"] = "3",
    };
}

[Trait("Category", "Slow")]
public class ForwardedHeadersTests(UntrustedForwardedHeadersApi api) : IClassFixture<UntrustedForwardedHeadersApi>
{
    private const string To = "+14155550199", From = "+14155550100";
    private const string Path = "/api/aloha/webhooks/incoming-call";

    private static readonly Dictionary<string, string> Forged = new()
    {
        ["X-Forwarded-Proto"] = "https",
        ["X-Forwarded-Host"] = "evil.example",
        ["X-Forwarded-For"] = "203.0.113.7",
    };

    [Fact]
    public async Task Forged_proto_and_host_change_neither_the_signed_URL_nor_the_TwiML()
    {
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.IncomingCall(callSid, From, await NumberWithVoicemailAsync(api.Admin));
        var realUrl = new Uri(api.Twilio.BaseAddress, Path).ToString();

        using var response = await SendAsync(realUrl, form, TwilioSignature.Compute(TestServiceEnvironment.AuthToken, realUrl, form));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var twiml = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("evil.example", twiml);
        Assert.DoesNotContain("https://", twiml);
        Assert.Contains($"{api.Twilio.BaseAddress.GetLeftPart(UriPartial.Authority)}/api/aloha/webhooks/voicemail-complete", twiml);
    }

    [Fact]
    public async Task A_request_signed_for_the_forged_URL_is_refused_and_nothing_is_written()
    {
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.IncomingCall(callSid, From, To);
        var forgedUrl = "https://evil.example" + Path;

        using var response = await SendAsync(new Uri(api.Twilio.BaseAddress, Path).ToString(), form, TwilioSignature.Compute(TestServiceEnvironment.AuthToken, forgedUrl, form));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task A_new_forged_X_Forwarded_For_on_every_request_does_not_buy_a_new_budget()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Path)
            {
                Content = new FormUrlEncodedContent(TwilioForms.IncomingCall(Seed.NewCallSid(), From, To)),
            };
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"198.51.100.{i + 1}");
            using var response = await api.Twilio.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        // 3 permits up front, 1 a second: 20 unsigned requests in a few seconds mostly exceed one address's budget.
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 10,
            $"forged addresses each got a budget of their own: {string.Join(", ", statuses.Select(s => (int)s))}");
    }

    /// <summary>A number of a workspace of its own, so the answer is voicemail TwiML full of our own URLs.</summary>
    internal static async Task<string> NumberWithVoicemailAsync(string admin)
    {
        var number = $"+1628{Random.Shared.Next(1_000_000, 10_000_000)}";
        await Seed.PhoneNumberAsync(admin, await Seed.WorkspaceAsync(admin), number);
        return number;
    }

    private Task<HttpResponseMessage> SendAsync(string url, Dictionary<string, string> form, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation(TwilioSignature.HeaderName, signature);
        foreach (var (name, value) in Forged)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return api.Twilio.Http.SendAsync(request);
    }
}

/// <summary>A configured proxy is believed: its X-Forwarded-Proto decides the scheme Twilio signed.</summary>
public class TrustedProxyApi : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Webhooks__TrustedProxies__0"] = "127.0.0.1",
    };
}

[Trait("Category", "Slow")]
public class TrustedProxyTests(TrustedProxyApi api) : IClassFixture<TrustedProxyApi>
{
    [Fact]
    public async Task X_Forwarded_Proto_from_a_configured_proxy_is_applied_and_X_Forwarded_Host_is_not()
    {
        const string path = "/api/aloha/webhooks/incoming-call";
        var form = TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", await ForwardedHeadersTests.NumberWithVoicemailAsync(api.Admin));
        var authority = api.Twilio.BaseAddress.Authority;
        var publicUrl = $"https://{authority}{path}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation(TwilioSignature.HeaderName, TwilioSignature.Compute(TestServiceEnvironment.AuthToken, publicUrl, form));
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");

        using var response = await api.Twilio.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var twiml = await response.Content.ReadAsStringAsync();
        Assert.Contains($"https://{authority}/api/aloha/webhooks/voicemail-complete", twiml);
        Assert.DoesNotContain("evil.example", twiml);
    }
}
