using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Recordings;

/// <summary>
/// Recordings as block blobs in one private container, so every replica plays what any replica
/// stored. Uploads stage blocks as the audio arrives and commit the block list only when the
/// last byte is in: until then nothing is visible under the key, so a replica killed mid-upload
/// leaves no half recording (its uncommitted blocks are discarded by the service). Reads are
/// ranged and seekable, so playback holds one read buffer, not the file.
/// </summary>
public sealed class BlobRecordingStorage : IRecordingStorage
{
    private readonly BlobContainerClient _container;
    private readonly BlobRecordingsOptions _options;
    private volatile bool _containerExists;

    public BlobRecordingStorage(BlobContainerClient container, IOptions<RecordingsOptions> options)
    {
        _container = container;
        _options = options.Value.Blob;
    }

    public BlobContainerClient Container => _container;

    public string Description => $"azure-blob {_container.Uri}";

    public async Task<string> SaveAsync(Guid? workspaceId, string recordingSid, string contentType, Stream audio, CancellationToken cancellationToken)
    {
        var key = RecordingKey.For(workspaceId, recordingSid, contentType);
        await EnsureContainerAsync(cancellationToken);
        await _container.GetBlobClient(key).UploadAsync(audio, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            // A stream of unknown length is cut into blocks of this size, each staged as it fills,
            // then committed with one Put Block List; a recording smaller than one block goes up in
            // one Put Blob. Either way the blob appears whole or not at all.
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = _options.BlockSizeBytes,
                MaximumTransferSize = _options.BlockSizeBytes,
                MaximumConcurrency = _options.UploadConcurrency,
            },
        }, cancellationToken);
        return key;
    }

    public async Task<StoredRecording?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(RecordingKey.Checked(key));
        try
        {
            BlobProperties properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            // Pinned to the version just looked at (If-Match on its ETag): a listener never hears
            // the start of one recording and the end of another.
            var content = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false)
            {
                BufferSize = _options.ReadBufferBytes,
                Conditions = new BlobRequestConditions { IfMatch = properties.ETag },
            }, cancellationToken);
            var contentType = string.IsNullOrEmpty(properties.ContentType) ? RecordingKey.ContentTypeOf(key) : properties.ContentType;
            return new StoredRecording(content, contentType, properties.ContentLength);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _container.GetBlobClient(RecordingKey.Checked(key)).ExistsAsync(cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _container.GetBlobClient(RecordingKey.Checked(key)).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The container is gone too: so is the recording.
        }
    }

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        // Deployments create the container (infra/); Azurite starts empty. Two replicas creating
        // it at once is harmless, and a failure is not remembered: the next upload tries again.
        if (!_containerExists)
        {
            await _container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            _containerExists = true;
        }
    }

    /// <summary>
    /// <c>ConnectionStrings:recordings</c> as Aspire's blob integration reads it: a blob endpoint URI
    /// (Azure: authenticated as the app's managed identity, no keys) or a storage connection string
    /// (Azurite's development account).
    /// </summary>
    public static BlobServiceClient CreateServiceClient(string connectionString, string? managedIdentityClientId)
    {
        var options = new BlobClientOptions();
        if (Uri.TryCreate(connectionString.Trim(), UriKind.Absolute, out var endpoint) && endpoint.Scheme is "https" or "http")
        {
            TokenCredential credential = string.IsNullOrWhiteSpace(managedIdentityClientId)
                // A developer's own sign-in (az login, Visual Studio) against a real account.
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(managedIdentityClientId));
            return new BlobServiceClient(endpoint, credential, options);
        }
        return new BlobServiceClient(connectionString, options);
    }
}
