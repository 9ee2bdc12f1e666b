using Ovrsee.AppHost;
using Ovrsee.Hosting;

var configuration = AppHostConfiguration.Build(args);
if (args is ["dev-token", ..])
{
    return DevToken.Run(configuration);
}

using var loggerFactory = AppHostConfiguration.CreateLoggerFactory();
var logger = loggerFactory.CreateLogger("Ovrsee.AppHost");
using var shutdown = new ShutdownSignal();

OvrseeSystem system;
try
{
    system = await OvrseeSystem.StartAsync(AppHostConfiguration.SystemOptions(configuration), logger, shutdown.Token);
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    Console.Error.WriteLine($"Ovrsee could not start: {ex.Message}");
    return 1;
}

await using (system)
{
    if (system.Postgres is not null)
    {
        await DevSeed.ApplyAsync(system.Postgres.AdminConnectionString(OvrseeSystem.DatabaseName), shutdown.Token);
    }
    var state = StateFile.Write(system, configuration);
    ConsoleReport.Ready(system, state);
    ConsoleReport.WatchForCrashes(system);
    await shutdown.WaitAsync();
    Console.WriteLine("Stopping services and PostgreSQL...");
}
return 0;
