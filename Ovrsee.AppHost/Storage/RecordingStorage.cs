using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Azurite;

namespace Ovrsee.AppHost.Storage;

/// <summary>Where WebhookApi keeps voicemail audio when run by the AppHost.</summary>
internal enum RecordingStorageChoice
{
    /// <summary>ConnectionStrings:recordings is set: that blob storage, as it is.</summary>
    External,

    /// <summary>Azurite as a resource: the same blob code as in Azure.</summary>
    Azurite,

    /// <summary>A folder in the state directory: zero setup, one replica only.</summary>
    LocalFolder,
}

/// <summary>A stand-in resource that shows the local-folder choice (and why) in the dashboard's resource list.</summary>
internal sealed class LocalRecordingFolderResource(string name) : Resource(name);

internal static class RecordingStorageExtensions
{
    public const string ConnectionName = "recordings";

    /// <summary>
    /// RecordingStorage (--recordings-storage): auto (default) = Azurite when it is installed, else
    /// the local folder; azurite or folder force the choice. Null when the choice cannot be honoured
    /// (azurite asked for, not installed): <paramref name="refusal"/> says why and how to fix it.
    /// </summary>
    public static RecordingStorageChoice? Choose(IDistributedApplicationBuilder builder, AppHostSettings settings, out string? refusal)
    {
        refusal = null;
        // A published app gets its storage from the deployment (a "recordings" connection string),
        // never from this machine's emulator or folder.
        return builder.ExecutionContext.IsPublishMode
            ? RecordingStorageChoice.External
            : Choose(settings, azuriteInstalled: LocalAzurite.FindExecutable() is not null, out refusal);
    }

    internal static RecordingStorageChoice? Choose(AppHostSettings settings, bool azuriteInstalled, out string? refusal)
    {
        refusal = null;
        if (!string.IsNullOrWhiteSpace(settings.ExternalRecordingsConnectionString))
        {
            return RecordingStorageChoice.External;
        }
        var installed = azuriteInstalled;
        switch (settings.RecordingStorage)
        {
            case "folder":
                return RecordingStorageChoice.LocalFolder;
            case "azurite" when !installed:
                refusal = $"--recordings-storage azurite: Azurite is not installed. {InstallHint}";
                return null;
            default:
                return installed ? RecordingStorageChoice.Azurite : RecordingStorageChoice.LocalFolder;
        }
    }

    private const string InstallHint = $"Run 'npm ci --prefix .ci/azurite' (what .ci/run does) or 'npm install -g azurite@{LocalAzurite.Version}'.";

    /// <summary>
    /// Wires WebhookApi's recording storage by Aspire's contract (<c>ConnectionStrings__recordings</c>)
    /// and says which one it is: <c>Recordings__Storage</c> in its environment, plus the "azurite" or
    /// "recordings" resource in the dashboard.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRecordingStorage(
        this IResourceBuilder<ProjectResource> webhookApi, AppHostSettings settings, RecordingStorageChoice choice)
    {
        var builder = webhookApi.ApplicationBuilder;
        switch (choice)
        {
            case RecordingStorageChoice.External:
                return webhookApi.WithReference(builder.AddConnectionString(ConnectionName), ConnectionName)
                    .WithEnvironment("Recordings__Storage", "AzureBlob");
            case RecordingStorageChoice.Azurite:
                var azurite = builder.AddAzurite("azurite", Path.Combine(settings.StateDirectory, "azurite"));
                return webhookApi.WithReference(azurite, ConnectionName).WaitFor(azurite)
                    .WithEnvironment("Recordings__Storage", "AzureBlob");
            default:
                var folder = Path.Combine(settings.StateDirectory, "recordings");
                var why = settings.RecordingStorage == "folder"
                    ? "Chosen with --recordings-storage folder."
                    : $"Azurite is not installed. {InstallHint}";
                if (builder.ExecutionContext.IsRunMode)
                {
                    Console.Error.WriteLine($"Voicemail recordings go to the local folder {folder} (one machine only): {why}");
                }
                builder.AddResource(new LocalRecordingFolderResource(ConnectionName))
                    .WithInitialState(new CustomResourceSnapshot
                    {
                        ResourceType = "RecordingStorage",
                        State = new ResourceStateSnapshot("Local folder", KnownResourceStateStyles.Warn),
                        Properties = [new("recordings.folder", folder), new("recordings.why", why)],
                    })
                    .WithIconName("Folder")
                    .ExcludeFromManifest();
                return webhookApi.WithEnvironment("Recordings__Storage", "LocalFolder")
                    .WithEnvironment("Recordings__Directory", folder);
        }
    }

    /// <summary>Azurite's blob service only, on a free loopback port, data kept in <paramref name="dataDirectory"/>.</summary>
    private static IResourceBuilder<AzuriteResource> AddAzurite(this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var port = LoopbackPort.Free();
        var azurite = new AzuriteResource(name, LocalAzurite.FindExecutable()!, dataDirectory);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new ListeningHealthCheck(port), failureStatus: null, tags: null, timeout: TimeSpan.FromSeconds(5)));
        return builder.AddResource(azurite)
            .WithHttpEndpoint(port: port, targetPort: port, name: AzuriteResource.EndpointName, isProxied: false)
            // --disableTelemetry: nothing leaves the machine. --skipApiVersionCheck: the SDK may be newer than the emulator.
            .WithArgs("--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", dataDirectory,
                "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent")
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Storage")
            .ExcludeFromManifest();
    }

    /// <summary>Healthy once Azurite accepts connections on its blob port.</summary>
    private sealed class ListeningHealthCheck(int port) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, cancellationToken);
                return HealthCheckResult.Healthy($"Blob service on 127.0.0.1:{port}.");
            }
            catch (SocketException ex)
            {
                return HealthCheckResult.Unhealthy($"Azurite does not accept connections on 127.0.0.1:{port}.", ex);
            }
        }
    }
}
