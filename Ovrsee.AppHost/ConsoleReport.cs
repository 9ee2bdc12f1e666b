using Ovrsee.Hosting;

namespace Ovrsee.AppHost;

internal static class ConsoleReport
{
    public static void Ready(OvrseeSystem system, StateFile.State state)
    {
        Console.WriteLine();
        Console.WriteLine("Ovrsee is running (Ctrl+C stops everything):");
        Console.WriteLine($"  postgres      {(system.Postgres is null ? "external (ConnectionStrings:ovrsee)" : $"127.0.0.1:{system.Postgres.Port}  data in .ovrsee/postgres")}");
        foreach (var service in system.Services)
        {
            Console.WriteLine($"  {service.Name,-13} {service.HttpEndpoint}  healthy");
        }
        Console.WriteLine("  endpoints are also in .ovrsee/state.json");
        if (state.PublicBaseUrl is null)
        {
            Console.WriteLine();
            Console.WriteLine("  No public URL: Twilio cannot reach 127.0.0.1. Start a tunnel (e.g. 'ngrok http 5180') and run");
            Console.WriteLine("  again with --public-url https://<your-tunnel-host>, or set Webhooks:PublicBaseUrl.");
        }
        Console.WriteLine();
    }

    public static void WatchForCrashes(OvrseeSystem system)
    {
        foreach (var service in system.Services)
        {
            service.Exited += exitCode =>
            {
                Console.Error.WriteLine($"[{service.Name}] FAILED: exited with code {exitCode}. Last output:");
                foreach (var line in service.RecentOutput().TakeLast(20))
                {
                    Console.Error.WriteLine($"  | {line}");
                }
            };
        }
    }
}
