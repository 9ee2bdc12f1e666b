using Ovrsee.AppHost;
using Ovrsee.AppHost.Storage;
using Ovrsee.AppHost.Tunnels;

if (args is ["dev-token", ..])
{
    return DevToken.Run(args[1..]);
}
if (AppHostCommandLine.Check(args) is { } exitCode)
{
    return exitCode;
}

var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.ReadOvrseeSettings(args);
if (RecordingStorageExtensions.Choose(builder, settings, out var refusal) is not { } recordingStorage)
{
    Console.Error.WriteLine(refusal);
    return 2;
}

// PostgreSQL (container, installed binaries, or an external server) → database "ovrsee" → migrations.
var database = builder.AddOvrseeDatabase(settings);
var migrate = builder.AddProject<Projects.Ovrsee_WebhookApi>("migrate", o => o.ExcludeLaunchProfile = true)
    .WithArgs("migrate")
    .WithReference(database.Resource, "ovrsee").WaitFor(database.Resource)
    .WithServiceLogin(database);

var serviceSettings = builder.AddServiceSettings(settings);

var webhookApi = builder.AddProject<Projects.Ovrsee_WebhookApi>("webhookapi", o => o.ExcludeLaunchProfile = true)
    .WithHttpEndpoint(port: settings.WebhookApiPort, name: "http")
    .WithExternalHttpEndpoints()
    .WithDatabase(database).WaitFor(database.Resource).WaitForCompletion(migrate)
    .WithEnvironment("Webhooks__Spool__Directory", Path.Combine(settings.StateDirectory, "webhook-spool"))
    .WithImageEnvironment()
    .WithServiceSettings(serviceSettings)
    .WithRecordingStorage(settings, recordingStorage)
    .WithHttpHealthCheck("/health");

var provisioning = builder.AddProject<Projects.Ovrsee_Provisioning>("provisioning", o => o.ExcludeLaunchProfile = true)
    .WithHttpEndpoint(port: settings.ProvisioningPort, name: "http")
    .WithDatabase(database).WaitFor(database.Resource).WaitForCompletion(migrate)
    .WithReference(webhookApi)
    .WithImageEnvironment()
    .WithServiceSettings(serviceSettings)
    .WithHttpHealthCheck("/health");

if (settings.Tunnel is { } tunnelProvider)
{
    var tunnel = builder.AddTunnel("tunnel", tunnelProvider, webhookApi);
    webhookApi.WithPublicUrlOf(tunnel);
    provisioning.WithPublicUrlOf(tunnel);
}

webhookApi.WithDeveloperCommands(serviceSettings, database).WithReconcileCommand(serviceSettings);
provisioning.WithConfigureNumber(settings, serviceSettings);

builder.Build().Run();
return 0;
