using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Webhooks;

public sealed class WebhookSpoolOptions
{
    /// <summary>Local disk that outlives the process (a mounted volume in containers).</summary>
    public string Directory { get; set; } = Path.Combine(".ovrsee", "webhook-spool");

    public TimeSpan ReplayInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Where a webhook goes when PostgreSQL cannot take it: one file per callback, written to a
/// temporary name, flushed to disk and renamed, so a file either is complete or does not exist.
/// The caller answers Twilio only after that. Replay deletes a file only after the (idempotent)
/// write committed, so a crash in between replays it again harmlessly: exactly once in the end.
/// Every file operation blocks its thread on the disk (fsync, rename, listing: milliseconds on the
/// Azure Files volume), so each runs on a pool thread of its own and never on the thread the caller
/// resumed on: with socket completions inline (the service's default, #15) that can be a socket
/// event thread every connection of the process waits on.
/// </summary>
public sealed class WebhookSpool
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _directory;
    private readonly string _deadDirectory;
    private long _sequence;

    public WebhookSpool(IOptions<WebhookSpoolOptions> options)
    {
        _directory = Path.GetFullPath(options.Value.Directory);
        _deadDirectory = Path.Combine(_directory, "dead");
        System.IO.Directory.CreateDirectory(_directory);
    }

    public string DirectoryPath => _directory;

    /// <summary>Where callbacks the database refuses for good are kept for an operator (move a file back up to retry it).</summary>
    public string DeadDirectoryPath => _deadDirectory;

    public Task AppendAsync(TwilioCallback callback, CancellationToken cancellationToken) =>
        WriteAsync(_directory, callback, cancellationToken);

    /// <summary>Straight to the operator's folder: a callback PostgreSQL refused once, which a replay would only repeat.</summary>
    public Task SetAsideAsync(TwilioCallback callback, CancellationToken cancellationToken) =>
        WriteAsync(_deadDirectory, callback, cancellationToken);

    private Task WriteAsync(string directory, TwilioCallback callback, CancellationToken cancellationToken) =>
        Task.Run(() => Write(directory, callback), cancellationToken);

    private void Write(string directory, TwilioCallback callback)
    {
        System.IO.Directory.CreateDirectory(directory);
        // Names sort in arrival order, which is also replay order; the Guid keeps replicas sharing
        // one folder apart.
        var name = $"{callback.ReceivedAt.UtcTicks:D20}-{Interlocked.Increment(ref _sequence):D10}-{Guid.NewGuid():N}";
        var temporary = Path.Combine(directory, name + ".tmp");
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            JsonSerializer.Serialize(stream, callback, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path.Combine(directory, name + ".json"));
    }

    public Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<string>>(() => System.IO.Directory.GetFiles(_directory, "*.json").Order(StringComparer.Ordinal).ToList(), cancellationToken);

    public Task<TwilioCallback?> ReadAsync(string path, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<TwilioCallback>(stream, Json);
        }, cancellationToken);

    public Task CompleteAsync(string path) => Task.Run(() => File.Delete(path));

    /// <summary>A callback the database refuses for good is kept aside for an operator, not retried forever.</summary>
    public Task MoveAsideAsync(string path) => Task.Run(() =>
    {
        System.IO.Directory.CreateDirectory(_deadDirectory);
        try
        {
            File.Move(path, Path.Combine(_deadDirectory, Path.GetFileName(path)), overwrite: true);
        }
        catch (FileNotFoundException)
        {
            // Another replica sharing the folder dealt with it first.
        }
    });
}
