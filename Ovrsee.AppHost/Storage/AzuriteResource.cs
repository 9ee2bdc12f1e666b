using Aspire.Hosting.ApplicationModel;
using Ovrsee.Hosting.Azurite;

namespace Ovrsee.AppHost.Storage;

/// <summary>
/// Azurite's blob service run by the orchestrator from the pinned npm package (or a global
/// azurite-blob): what <c>AddAzureStorage().RunAsEmulator()</c> gives with a container, without
/// one. Its connection string is Aspire's shape for an emulated blob resource, on 127.0.0.1 with
/// the emulator's well-known development account (public, the same on every machine).
/// </summary>
internal sealed class AzuriteResource(string name, string executable, string dataDirectory)
    : ExecutableResource(name, executable, dataDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "blob";

    private EndpointReference? _endpoint;

    public string DataDirectory { get; } = dataDirectory;
    public EndpointReference BlobEndpoint => _endpoint ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={LocalAzurite.AccountName};AccountKey={LocalAzurite.AccountKey};BlobEndpoint=http://127.0.0.1:{BlobEndpoint.Property(EndpointProperty.Port)}/{LocalAzurite.AccountName};");
}
