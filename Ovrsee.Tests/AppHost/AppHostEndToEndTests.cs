using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Ovrsee.Hosting;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// One command, the whole system, start to stop, seen in a real browser: the AppHost with a
/// (stand-in) tunnel, a webhook Twilio would send through it, what the dashboard shows of it,
/// a crash, and SIGTERM. One AppHost for all of it, because starting one costs seconds.
/// </summary>
public class AppHostEndToEndTests
{
    private const string PublicUrl = "https://stand-in-words-here.trycloudflare.com";
    private const string IncomingCall = "/api/aloha/webhooks/incoming-call";
    private static readonly PageWaitForSelectorOptions Soon = new() { Timeout = 20_000 };

    [Fact]
    public async Task Runs_shows_and_stops_the_whole_system()
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
        var page = await chromium.Browser.NewPageAsync();

        TheTunnelUrlReachedTheServices(appHost, tunnel);
        await TheDashboardShowsEveryResourceHealthyAsync(appHost, page);
        await AWebhookThroughTheTunnelShowsItsHttpAndSqlSpansAsync(appHost, page);
        await StructuredLogsFilterByLevelAsync(appHost, page);
        await ACrashShowsAsFailedWithItsExitCodeAndLastOutputAsync(appHost, page);
        await SigtermStopsEverythingInReverseOrderAndLeavesNoProcessAsync(appHost);
    }

    private static void TheTunnelUrlReachedTheServices(AppHostProcess appHost, StandInTunnel tunnel)
    {
        var webhookApi = new Uri(appHost.State.GetProperty("webhookApi").GetString()!);
        Assert.Equal(PublicUrl, appHost.State.GetProperty("publicBaseUrl").GetString());
        Assert.Contains($"--url http://127.0.0.1:{webhookApi.Port}", tunnel.Arguments);
        Assert.Contains($"A CALL COMES IN        Webhook   {PublicUrl}{IncomingCall}   HTTP POST", appHost.Output);
    }

    private static async Task TheDashboardShowsEveryResourceHealthyAsync(AppHostProcess appHost, IPage page)
    {
        await page.GotoAsync(appHost.Dashboard.ToString());
        foreach (var resource in new[] { "postgres", "ovrsee", "tunnel", "webhookapi", "provisioning" })
        {
            await page.WaitForSelectorAsync($"tr[data-resource='{resource}'] td[data-health='Healthy']", Soon);
        }
        await page.WaitForSelectorAsync($"tr[data-resource='tunnel'] >> text={PublicUrl}", Soon);
    }

    private static async Task AWebhookThroughTheTunnelShowsItsHttpAndSqlSpansAsync(AppHostProcess appHost, IPage page)
    {
        // Twilio signs the public URL it calls; the tunnel delivers the request locally.
        using var twilio = new TwilioWebhookClient(new Uri(appHost.State.GetProperty("webhookApi").GetString()!), AppHostProcess.AuthToken);
        var form = TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", "+15005550006");
        var signature = TwilioSignature.Compute(AppHostProcess.AuthToken, PublicUrl + IncomingCall, form);
        var response = await twilio.PostAsync(IncomingCall, form, signatureOverride: signature);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"{PublicUrl}/api/aloha/webhooks/", await response.Content.ReadAsStringAsync());

        await page.GotoAsync(appHost.Dashboard + "#/traces");
        await page.ClickAsync($"tr[data-name='POST {IncomingCall}']", new() { Timeout = 20_000 });
        var server = await page.WaitForSelectorAsync("tr[data-span-kind='server'][data-service='webhookapi']", Soon);
        var sql = await page.WaitForSelectorAsync("tr[data-service='webhookapi'][data-db='postgresql']", Soon);
        Assert.Contains(IncomingCall, await server!.InnerTextAsync());
        // A duration, in ms or (on a busy machine) s, as the dashboard formats it.
        Assert.Matches(@"\d (ms|s)\b", await server.InnerTextAsync());
        Assert.Matches(@"\d (ms|s)\b", await sql!.InnerTextAsync());
    }

    private static async Task StructuredLogsFilterByLevelAsync(AppHostProcess appHost, IPage page)
    {
        await page.GotoAsync(appHost.Dashboard + "#/logs");
        await page.WaitForSelectorAsync("tr[data-level='Information']", Soon);
        await page.SelectOptionAsync("select[data-filter='level']", "Critical");
        await page.WaitForFunctionAsync("() => document.querySelectorAll(\"tr[data-level='Information']\").length === 0");
    }

    private static async Task ACrashShowsAsFailedWithItsExitCodeAndLastOutputAsync(AppHostProcess appHost, IPage page)
    {
        UnixProcess.Signal(appHost.ResourcePid("provisioning"), 9);

        await page.GotoAsync(appHost.Dashboard + "#/resources");
        await page.WaitForSelectorAsync("tr[data-resource='provisioning'] td[data-state='Failed'] [data-exit-code='137']", Soon);
        var lastOutput = await page.WaitForSelectorAsync("tr[data-failure='provisioning'] pre", Soon);
        Assert.NotEmpty((await lastOutput!.InnerTextAsync()).Trim());
        Assert.Contains("[provisioning] FAILED (exit code 137)", appHost.Output);
    }

    private static async Task SigtermStopsEverythingInReverseOrderAndLeavesNoProcessAsync(AppHostProcess appHost)
    {
        var children = appHost.Descendants();
        Assert.Contains(appHost.ResourcePid("tunnel"), children);
        Assert.Contains(appHost.ResourcePid("postgres"), children);

        var (exitCode, elapsed) = await appHost.TerminateAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
        // Well under the 20 s a hung child would cost, with room for a busy machine.
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"Stopping took {elapsed.TotalSeconds:0.0}s:\n{appHost.Output}");
        var survivors = children.Where(AppHostProcess.IsRunning).Select(pid => $"{pid}: {AppHostProcess.CommandLine(pid)}").ToList();
        Assert.True(survivors.Count == 0, "Still running after the AppHost exited:\n" + string.Join('\n', survivors));
        Assert.False(File.Exists(appHost.StateFilePath), "state.json should go with the AppHost");
        var output = appHost.Output;
        Assert.True(Position(output, "webhookapi", "stopped") < Position(output, "tunnel", "stopping"), output);
        Assert.True(Position(output, "ovrsee", "stopped") < Position(output, "postgres", "stopping"), output);
    }

    private static int Position(string output, string resource, string status) =>
        Regex.Match(output, $@"\b{resource}\s+{status}\b") is { Success: true } match
            ? match.Index
            : throw new Xunit.Sdk.XunitException($"'{resource} {status}' is not in the AppHost's output:\n{output}");
}
