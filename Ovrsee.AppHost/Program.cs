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

var startedAt = Stopwatch.StartNew();
OvrseeSystemOptions options;
try
{
    options = AppHostConfiguration.SystemOptions(configuration);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// The graph (OvrseeSystem), plus what the dashboard adds: every service exports OTLP to it.
var dashboardPort = AppHostConfiguration.DashboardPort(configuration);
var otlpApiKey = DashboardServer.NewApiKey();
await using var app = OvrseeSystem.Declare(new OvrseeApplicationBuilder(logger), options)
    .WithOtlpExporter(new Uri($"http://127.0.0.1:{dashboardPort}"), otlpApiKey)
    .Build();
ConsoleReport.Follow(app);

DashboardServer dashboard;
try
{
    dashboard = await DashboardServer.StartAsync(dashboardPort, otlpApiKey, () => app.Resources, shutdown.Token);
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

await using (dashboard)
{
    Console.WriteLine($"Dashboard: {dashboard.Url}");
    try
    {
        await app.StartAsync(shutdown.Token);
        if (app.Get<PostgresDatabaseResource>(OvrseeSystem.DatabaseName).AdminConnectionString is { } admin)
        {
            await DevSeed.ApplyAsync(admin, shutdown.Token);
        }
    }
    catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
    {
        Console.WriteLine("Stopping...");
        return 0;
    }
    catch (Exception ex)
    {
        ConsoleReport.StartFailed(app, ex);
        return 1;
    }

    var state = StateFile.Write(options.StateDirectory, app, dashboard, configuration);
    ConsoleReport.Ready(app, dashboard, state, options.StateDirectory, startedAt.Elapsed);
    if (configuration["ConfigureNumber"] is { Length: > 0 } phoneNumberId)
    {
        await ConfigureNumber.RunAsync(phoneNumberId, state.Provisioning, state.PublicBaseUrl,
            DevToken.ForDevOwner(configuration, options.StateDirectory), shutdown.Token);
    }

    await shutdown.WaitAsync();
    Console.WriteLine("Stopping everything, in reverse order...");
    var stopping = Stopwatch.StartNew();
    await app.StopAsync();
    StateFile.Delete(options.StateDirectory);
    Console.WriteLine($"Stopped in {stopping.Elapsed.TotalSeconds:0.0}s.");
}
return 0;
