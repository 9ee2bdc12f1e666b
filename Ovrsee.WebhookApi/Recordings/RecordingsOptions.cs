using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Recordings;

public enum RecordingStorageKind
{
    /// <summary>A folder on this machine: zero setup, one replica only.</summary>
    LocalFolder,

    /// <summary>Azure Blob Storage (Azurite locally): every replica reads what any replica stored.</summary>
    AzureBlob,
}

/// <summary>The <c>Recordings</c> section: where voicemail audio is kept and where it may be fetched from.</summary>
public sealed class RecordingsOptions
{
    public const string SectionName = "Recordings";
    public const string TwilioApiHost = "api.twilio.com";

    /// <summary>The connection name of the blob storage (<c>ConnectionStrings:recordings</c>), as Aspire names a blob resource.</summary>
    public const string BlobConnectionName = "recordings";

    /// <summary>
    /// Unset: <see cref="RecordingStorageKind.AzureBlob"/> when <c>ConnectionStrings:recordings</c> is set,
    /// else <see cref="RecordingStorageKind.LocalFolder"/>. Set it to make the choice explicit (deployments do).
    /// </summary>
    public RecordingStorageKind? Storage { get; set; }

    /// <summary>
    /// Local folder for downloaded audio (LocalFolder storage). With several replicas it would have to be
    /// a shared volume; use AzureBlob instead.
    /// </summary>
    public string Directory { get; set; } = Path.Combine(".ovrsee", "recordings");

    /// <summary>
    /// Hosts besides api.twilio.com that recording URLs may point at (Twilio's regional API hosts,
    /// or a local double in tests). Twilio credentials are sent only to these hosts.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    public BlobRecordingsOptions Blob { get; set; } = new();
}

/// <summary>The <c>Recordings:Blob</c> section.</summary>
public sealed class BlobRecordingsOptions
{
    /// <summary>The private container recordings go in; created on first use when missing.</summary>
    public string Container { get; set; } = "recordings";

    /// <summary>
    /// Upload block size. Audio is read from Twilio and staged one block at a time (at most
    /// <see cref="UploadConcurrency"/> blocks in memory), then committed in one step.
    /// </summary>
    public int BlockSizeBytes { get; set; } = 1024 * 1024;

    public int UploadConcurrency { get; set; } = 2;

    /// <summary>Playback reads the blob in ranges of this size (the only buffer per listener).</summary>
    public int ReadBufferBytes { get; set; } = 512 * 1024;
}

public sealed partial class RecordingsOptionsValidator(IConfiguration configuration) : IValidateOptions<RecordingsOptions>
{
    public ValidateOptionsResult Validate(string? name, RecordingsOptions options)
    {
        var failures = new List<string>();
        var kind = options.EffectiveStorage(configuration);
        if (kind == RecordingStorageKind.AzureBlob && string.IsNullOrWhiteSpace(configuration.GetConnectionString(RecordingsOptions.BlobConnectionName)))
        {
            failures.Add($"Recordings:Storage is AzureBlob but ConnectionStrings:{RecordingsOptions.BlobConnectionName} is not set " +
                "(the account's blob endpoint, e.g. https://<account>.blob.core.windows.net, or an Azurite connection string).");
        }
        if (kind == RecordingStorageKind.LocalFolder && string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add("Recordings:Directory must name a folder.");
        }
        if (!ContainerNamePattern().IsMatch(options.Blob.Container) || options.Blob.Container.Contains("--", StringComparison.Ordinal))
        {
            failures.Add("Recordings:Blob:Container must be 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit.");
        }
        if (options.Blob.BlockSizeBytes is < 64 * 1024 or > 100 * 1024 * 1024)
        {
            failures.Add("Recordings:Blob:BlockSizeBytes must be between 65536 (64 KiB) and 104857600 (100 MiB).");
        }
        if (options.Blob.UploadConcurrency is < 1 or > 16)
        {
            failures.Add("Recordings:Blob:UploadConcurrency must be between 1 and 16.");
        }
        if (options.Blob.ReadBufferBytes is < 16 * 1024 or > 16 * 1024 * 1024)
        {
            failures.Add("Recordings:Blob:ReadBufferBytes must be between 16384 (16 KiB) and 16777216 (16 MiB).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerNamePattern();
}

public static class RecordingsOptionsExtensions
{
    public static RecordingStorageKind EffectiveStorage(this RecordingsOptions options, IConfiguration configuration) =>
        options.Storage ?? (string.IsNullOrWhiteSpace(configuration.GetConnectionString(RecordingsOptions.BlobConnectionName))
            ? RecordingStorageKind.LocalFolder
            : RecordingStorageKind.AzureBlob);
}
