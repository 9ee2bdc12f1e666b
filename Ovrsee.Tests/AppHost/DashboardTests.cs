using System.Net;
using Microsoft.Playwright;
using Ovrsee.Hosting;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// One command, the whole system, seen in a real browser: the AppHost with a (stand-in) tunnel,
/// a webhook Twilio would send through it, and what the dashboard shows of both.
/// </summary>
public class DashboardTests
{
    private const string PublicUrl = "https://stand-in-words-here.trycloudflare.com";
    private const string IncomingCall = "/api/aloha/webhooks/incoming-call";
    private static readonly PageWaitForSelectorOptions Soon = new() { Timeout = 20_000 };

    [Fact]
    public async Task Shows_the_services_healthy_the_trace_of_a_webhook_and_a_crash_with_its_exit_code()
    {
        using var tunnel = StandInTunnel.Create("cloudflared", $"2026-01-01T00:00:00Z INF |  {PublicUrl}                        |", toStandardError: true);
        var launching = HeadlessChromium.LaunchAsync(); // meanwhile: both take seconds
        AppHostProcess started;
        try
        {
            started = await AppHostProcess.StartAsync(["--tunnel", "cloudflared"], prependToPath: tunnel.Directory);
        }
        catch
        {
            await (await launching).DisposeAsync();
            throw;
        }
        await using var appHost = started;
        await using var chromium = await launching;
        var webhookApi = new Uri(appHost.State.GetProperty("webhookApi").GetString()!);
        Assert.Equal(PublicUrl, appHost.State.GetProperty("publicBaseUrl").GetString());
        Assert.Contains($"--url http://127.0.0.1:{webhookApi.Port}", tunnel.Arguments);

        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(appHost.Dashboard.ToString());
        await page.WaitForSelectorAsync("tr[data-resource='webhookapi'] td[data-health='Healthy']", Soon);
        await page.WaitForSelectorAsync("tr[data-resource='provisioning'] td[data-health='Healthy']", Soon);
        await page.WaitForSelectorAsync($"tr[data-resource='tunnel'] >> text={PublicUrl}", Soon);

        // Twilio calls the public URL and signs it; the tunnel delivers the request locally.
        using var twilio = new TwilioWebhookClient(webhookApi, AppHostProcess.AuthToken);
        var form = TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", "+15005550006");
        var response = await twilio.PostAsync(IncomingCall, form, signatureOverride: TwilioSignature.Compute(AppHostProcess.AuthToken, PublicUrl + IncomingCall, form));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"{PublicUrl}/api/aloha/webhooks/", await response.Content.ReadAsStringAsync());

        await page.GotoAsync(appHost.Dashboard + "#/traces");
        await page.ClickAsync($"tr[data-name='POST {IncomingCall}']", new() { Timeout = 20_000 });
        var server = await page.WaitForSelectorAsync("tr[data-span-kind='server'][data-service='webhookapi']", Soon);
        var sql = await page.WaitForSelectorAsync("tr[data-service='webhookapi'][data-db='postgresql']", Soon);
        Assert.Contains(IncomingCall, await server!.InnerTextAsync());
        Assert.Matches(@"\d ms", await server.InnerTextAsync());
        Assert.Matches(@"\d ms", await sql!.InnerTextAsync());

        await page.GotoAsync(appHost.Dashboard + "#/logs");
        await page.WaitForSelectorAsync("tr[data-level='Information']", Soon);
        await page.SelectOptionAsync("select[data-filter='level']", "Critical");
        await page.WaitForFunctionAsync("() => document.querySelectorAll(\"tr[data-level='Information']\").length === 0");

        // A service that dies is shown failed, with its exit code and last output, on both screens.
        UnixProcess.Signal(appHost.ResourcePid("provisioning"), 9);
        await page.GotoAsync(appHost.Dashboard + "#/resources");
        await page.WaitForSelectorAsync("tr[data-resource='provisioning'] td[data-state='Failed'] [data-exit-code='137']", Soon);
        var lastOutput = await page.WaitForSelectorAsync("tr[data-failure='provisioning'] pre", Soon);
        Assert.NotEmpty((await lastOutput!.InnerTextAsync()).Trim());
        Assert.Contains("[provisioning] FAILED (exit code 137)", appHost.Output);
    }
}
