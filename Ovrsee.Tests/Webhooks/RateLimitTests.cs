using System.Net;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

public class RateLimitedWebhookApi : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["RateLimiting__Webhooks__PermitsPerSecond"] = "1",
        ["RateLimiting__Webhooks__Burst"] = "3",
    };
}

public class RateLimitTests(RateLimitedWebhookApi api) : IClassFixture<RateLimitedWebhookApi>
{
    [Fact]
    public async Task A_source_over_its_limit_gets_429_with_Retry_After_and_nothing_is_written()
    {
        var statuses = new List<HttpResponseMessage>();
        var callSids = Enumerable.Range(0, 6).Select(_ => Seed.NewCallSid()).ToList();
        foreach (var callSid in callSids)
        {
            statuses.Add(await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, "+14155550100", "+14155550199")));
        }

        var limited = statuses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1)));
        var stored = await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1)", (object)callSids.ToArray());
        Assert.Equal(statuses.Count(r => r.StatusCode == HttpStatusCode.OK), (int)stored);
    }
}
