using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Dashboard;

namespace Ovrsee.AppHost;

internal static class ConsoleReport
{
    private const string Webhooks = "/api/aloha/webhooks";

    /// <summary>One line per change of a resource's status; a failure also gets its last output.</summary>
    public static void Follow(OvrseeApplication app)
    {
        var last = new Dictionary<string, string>();
        app.ResourceChanged += resource =>
        {
            lock (last)
            {
                if (last.GetValueOrDefault(resource.Name) == resource.Status)
                {
                    return;
                }
                last[resource.Name] = resource.Status;
                var detail = resource.Status == "healthy" ? string.Join(" ", resource.Endpoints) : "";
                Console.WriteLine($"{DateTime.Now:HH:mm:ss} {resource.Name,-13} {resource.Status,-9} {detail}".TrimEnd());
                if (resource.State == ResourceState.Failed)
                {
                    Failed(resource);
                }
            }
        };
    }

    private static void Failed(Resource resource)
    {
        var exit = resource.ExitCode is { } code ? $" (exit code {code})" : "";
        Console.Error.WriteLine($"[{resource.Name}] FAILED{exit}: {resource.Error}");
        // The resource's own output; the AppHost's notes in it only repeat the error.
        var output = resource.Console.Tail(25).Where(line => !line.StartsWith("[apphost]", StringComparison.Ordinal)).TakeLast(20).ToList();
        if (output.Count > 0)
        {
            Console.Error.WriteLine($"[{resource.Name}] last output:");
            output.ForEach(line => Console.Error.WriteLine($"  | {line}"));
        }
    }

    public static void Ready(OvrseeApplication app, DashboardServer dashboard, StateFile.State state, string stateDirectory, TimeSpan startup)
    {
        Console.WriteLine();
        Console.WriteLine($"Ovrsee is running, started in {startup.TotalSeconds:0.0}s (Ctrl+C stops everything):");
        Console.WriteLine($"  {"dashboard",-13} {dashboard.Url.ToString().TrimEnd('/')}");
        foreach (var resource in app.Resources)
        {
            Console.WriteLine($"  {resource.Name,-13} {string.Join(" ", resource.Endpoints),-40} {resource.Status}");
        }
        Console.WriteLine($"  endpoints are also in {Path.Combine(stateDirectory, "state.json")}");
        Console.WriteLine();
        if (state.PublicBaseUrl is { } url)
        {
            TwilioConsole(url.TrimEnd('/'), state.Tunnel);
        }
        else
        {
            Console.WriteLine("  No public URL: Twilio cannot reach 127.0.0.1. Run again with --tunnel cloudflared (or ngrok, devtunnel),");
            Console.WriteLine("  or start a tunnel yourself and pass --public-url https://<your-tunnel-host> (or set Webhooks:PublicBaseUrl).");
        }
        Console.WriteLine();
    }

    private static void TwilioConsole(string url, string? tunnel)
    {
        Console.WriteLine($"  Public URL {url}{(tunnel is null ? "" : $" ({tunnel} tunnel to webhookapi)")}. In the Twilio Console,");
        Console.WriteLine("  Phone Numbers → Manage → Active numbers → your number → Voice Configuration:");
        Console.WriteLine($"    A CALL COMES IN        Webhook   {url}{Webhooks}/incoming-call   HTTP POST");
        Console.WriteLine($"    CALL STATUS CHANGES              {url}{Webhooks}/call-status     HTTP POST");
        Console.WriteLine("                           (status events: initiated ringing answered completed)");
        Console.WriteLine($"    Recording status callback        {url}{Webhooks}/voicemail-recorded");
        Console.WriteLine("                           (our TwiML sets this on <Record>; nothing to paste)");
        Console.WriteLine("  Or let Provisioning do it: --configure-number <phoneNumberId>.");
    }

    public static void StartFailed(OvrseeApplication app, Exception exception)
    {
        var failed = app.Resources.Where(r => r.State == ResourceState.Failed).Select(r => r.Name).ToList();
        var waiting = app.Resources.Where(r => r.State == ResourceState.Waiting).Select(r => r.Name).ToList();
        Console.Error.WriteLine();
        Console.Error.WriteLine(failed.Count > 0
            ? $"Ovrsee could not start: {string.Join(", ", failed)} failed (see above)."
            : $"Ovrsee could not start: {exception.Message.Split('\n')[0]}");
        if (waiting.Count > 0)
        {
            Console.Error.WriteLine($"  Not started: {string.Join(", ", waiting)}.");
        }
        Console.Error.WriteLine("Stopping what did start...");
    }
}
