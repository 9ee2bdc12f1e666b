using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Ovrsee.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// The real Aspire dashboard, in Debian's chromium: every resource running and healthy, and a
/// webhook's trace with its HTTP server span and its SQL span. Screenshots go to the test output.
/// </summary>
[Collection(AppHostCollection.Name)]
[Trait("Category", "Slow")]
public class DashboardTests(AppHostFixture system, ITestOutputHelper output)
{
    private const string IncomingCall = "/api/aloha/webhooks/incoming-call";
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 60_000 };

    [Fact]
    public async Task Shows_every_resource_running_and_a_webhooks_trace_with_its_sql_span()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });

        await page.GotoAsync(system.Dashboard.ToString());
        foreach (var resource in new[] { "postgres", "ovrsee", "migrate", "webhookapi", "provisioning" })
        {
            // The row whose name cell is "<type>: <resource>" (a row's text runs its cells together).
            var nameCell = page.GetByRole(AriaRole.Gridcell, new() { NameRegex = new Regex($@"^\w+: {resource}$") });
            var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = nameCell }).First;
            await Assertions.Expect(row).ToContainTextAsync(new Regex(resource == "migrate" ? "Finished" : "Running"), Soon);
            if (resource != "migrate")
            {
                await Assertions.Expect(row).Not.ToContainTextAsync("Unhealthy");
            }
        }
        await Screenshot(page, "resources");

        using var twilio = new TwilioWebhookClient(system.WebhookApi, AppHostFixture.AuthToken);
        // Not the service's first webhook: the group commit's writers once inherited the trace of the
        // request that created them, so every later webhook's trace lacked its SQL span.
        Assert.Equal(HttpStatusCode.OK, (await twilio.PostAsync(IncomingCall, TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", "+15005550006"))).StatusCode);
        // This webhook's own trace, by the trace id Twilio's request carries in (W3C traceparent).
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        twilio.Http.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var response = await twilio.PostAsync(IncomingCall, TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", "+15005550006"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Traces arrive over OTLP within the exporter's batch interval; on a loaded machine the
        // dashboard's Blazor circuit can also drop while a page renders: load the trace's page again.
        var detail = page.Locator("body");
        for (var look = 1; ; look++)
        {
            try
            {
                await page.GotoAsync(new Uri(system.Dashboard, $"traces/detail/{traceId}").ToString());
                await Assertions.Expect(detail).ToContainTextAsync($"POST {IncomingCall}", new() { Timeout = 5_000 });
                // The SQL span itself, under this request (not the page title "Ovrsee").
                await Assertions.Expect(detail).ToContainTextAsync(new Regex("postgresql"), new() { Timeout = 5_000 });
                break;
            }
            catch (PlaywrightException) when (look < 12)
            {
                await page.WaitForTimeoutAsync(1000);
            }
        }
        await Screenshot(page, "trace");
    }

    private async Task Screenshot(IPage page, string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ovrsee-dashboard-{name}-{Environment.ProcessId}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }
}
