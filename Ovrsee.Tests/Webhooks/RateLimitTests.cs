using System.Net;
using System.Xml.Linq;
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

/// <summary>
/// The limiter stops traffic that did not prove it is Twilio, per source address, and never a
/// validly signed request, however many arrive and whatever the same address sent before.
/// </summary>
[Trait("Category", "Slow")]
public class RateLimitTests(RateLimitedWebhookApi api) : IClassFixture<RateLimitedWebhookApi>
{
    private const string To = "+14155550199", From = "+14155550100";

    [Fact]
    public async Task A_thousand_bad_signatures_from_an_address_do_not_cost_its_valid_requests_their_answer()
    {
        var forged = Enumerable.Range(0, 1000).Select(_ => Seed.NewCallSid()).ToList();
        var statuses = new List<HttpStatusCode>();
        await Parallel.ForEachAsync(forged, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (callSid, _) =>
        {
            using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, To),
                signatureOverride: "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
            lock (statuses)
            {
                statuses.Add(response.StatusCode);
            }
        });
        var limited = statuses.Count(s => s == HttpStatusCode.TooManyRequests);

        var valid = Enumerable.Range(0, 20).Select(_ => Seed.NewCallSid()).ToList();
        foreach (var callSid in valid)
        {
            using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, To));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Response", XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Name.LocalName);
        }

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests, $"a forged request got {(int)s}"));
        // 3 permits up front and 1 a second: however slowly this machine sent them, most were over budget.
        Assert.True(limited >= 500, $"only {limited} of 1000 forged requests were limited");
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1)", (object)forged.ToArray()));
        Assert.Equal(20L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1)", (object)valid.ToArray()));
    }

    [Fact]
    public async Task A_burst_of_validly_signed_requests_from_one_address_is_never_refused()
    {
        var callSids = Enumerable.Range(0, 200).Select(_ => Seed.NewCallSid()).ToList();
        var statuses = new List<HttpStatusCode>();
        await Parallel.ForEachAsync(callSids, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (callSid, _) =>
        {
            using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, From, To));
            lock (statuses)
            {
                statuses.Add(response.StatusCode);
            }
        });

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(200L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = ANY($1)", (object)callSids.ToArray()));
    }

    [Fact]
    public async Task Over_budget_unsigned_requests_are_refused_before_their_body_is_read()
    {
        var unsigned = await SpendBudgetWithUnsignedRequestsAsync();
        Assert.Contains(unsigned, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.All(unsigned.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests),
            r => Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1)));

        // Headers only, and a body that never comes: a 429 cannot have waited for it. The budget
        // refills a permit a second, so an attempt that happened to find one (and is now reading
        // the body) is not this case: try again from an empty budget.
        int? answer = null;
        for (var attempt = 0; attempt < 5 && answer != 429; attempt++)
        {
            await SpendBudgetWithUnsignedRequestsAsync();
            await using var request = await RawHttpRequest.SendHeadersAsync(api.Service.HttpEndpoint, "/api/aloha/webhooks/call-status",
                new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" }, contentLength: 4096);
            await request.SendBodyAsync("CallSid=CA");
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                answer = await request.ReadStatusCodeAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                answer = null;
            }
        }
        Assert.Equal(429, answer);
    }

    private async Task<List<HttpResponseMessage>> SpendBudgetWithUnsignedRequestsAsync()
    {
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            var content = new FormUrlEncodedContent(TwilioForms.Status(Seed.NewCallSid(), From, To, "completed", 3, DateTimeOffset.UtcNow, 10));
            responses.Add(await api.Twilio.Http.PostAsync("/api/aloha/webhooks/call-status", content));
        }
        return responses;
    }
}
