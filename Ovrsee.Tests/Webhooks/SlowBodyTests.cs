using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

/// <summary>A body that trickles in below Kestrel's minimum data rate is a 408, not a 500 logged at Error.</summary>
[Trait("Category", "Slow")]
public class SlowBodyTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    [Fact]
    public async Task A_body_arriving_too_slowly_is_answered_408_and_logged_below_Error()
    {
        var errors = new List<string>();
        void Watch(string line)
        {
            if (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal))
            {
                lock (errors)
                {
                    errors.Add(line);
                }
            }
        }
        api.Service.OutputReceived += Watch;
        await using var request = await RawHttpRequest.SendHeadersAsync(api.Service.HttpEndpoint, "/api/aloha/webhooks/call-status",
            new Dictionary<string, string>
            {
                ["Content-Type"] = "application/x-www-form-urlencoded",
                ["X-Twilio-Signature"] = "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            },
            contentLength: 2048);

        // Kestrel wants 240 bytes/s after a 5 s grace period; one byte a second never gets there.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var answer = request.ReadStatusCodeAsync(deadline.Token);
        while (!answer.IsCompleted && !deadline.IsCancellationRequested)
        {
            try
            {
                await request.SendBodyAsync("a");
            }
            catch (IOException)
            {
                break; // the server closed its side: the answer is already there
            }
            await Task.WhenAny(answer, Task.Delay(1000, deadline.Token));
        }

        Assert.Equal(408, await answer);
        await Task.Delay(1000); // the service's output arrives through a pipe
        api.Service.OutputReceived -= Watch;
        lock (errors)
        {
            Assert.Empty(errors);
        }
    }
}
