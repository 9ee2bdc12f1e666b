using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Ovrsee.Hosting.Azurite;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// One Azurite (blob endpoint only) for the whole test run, started on first use on a free
/// loopback port with a temp folder, killed when the test process exits. Each test takes a
/// container of its own, so nothing is shared between tests.
/// </summary>
public static class TestAzurite
{
    private static readonly Lazy<Task<LocalAzurite>> Server = new(StartAsync);

    public static Task<LocalAzurite> GetAsync() => Server.Value;

    /// <summary>A container name no other test uses (created by the storage on first upload).</summary>
    public static string NewContainerName() => $"rec-{Guid.NewGuid():N}";

    public static async Task<BlobContainerClient> ContainerAsync(string name) =>
        new BlobServiceClient((await GetAsync()).ConnectionString).GetBlobContainerClient(name);

    /// <summary>Blocks staged under the key but not committed: an upload in progress (or abandoned), invisible to readers.</summary>
    public static async Task<int> UncommittedBlocksAsync(BlobContainerClient container, string key)
    {
        try
        {
            var blocks = await container.GetBlockBlobClient(key).GetBlockListAsync(BlockListTypes.Uncommitted);
            return blocks.Value.UncommittedBlocks.Count();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }

    private static async Task<LocalAzurite> StartAsync()
    {
        var root = TestPostgres.NewRootDirectory("azurite");
        var azurite = await LocalAzurite.StartAsync(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            azurite.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return azurite;
    }
}
