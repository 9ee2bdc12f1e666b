using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Recordings;

/// <summary>
/// Recordings as files under <see cref="RecordingsOptions.Directory"/>: the zero-setup default for
/// one machine. A file is written under a temporary name and renamed, so a reader (or a crash)
/// never sees half a recording, and saving a key again replaces it with one complete copy.
/// </summary>
public sealed class LocalFileRecordingStorage : IRecordingStorage
{
    private readonly string _root;

    public LocalFileRecordingStorage(IOptions<RecordingsOptions> options)
    {
        _root = Path.GetFullPath(options.Value.Directory);
    }

    public string RootDirectory => _root;

    public string Description => $"local-folder {_root}";

    public async Task<string> SaveAsync(Guid? workspaceId, string recordingSid, string contentType, Stream audio, CancellationToken cancellationToken)
    {
        var key = RecordingKey.For(workspaceId, recordingSid, contentType);
        var path = PathFor(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await audio.CopyToAsync(file, cancellationToken);
                // The database will say the recording is stored; that must survive a power cut.
                // fsync blocks its thread, so not the one the copy's last read resumed on (with
                // socket completions inline, the service's default, that can be a socket event thread).
                await Task.Run(() => file.Flush(flushToDisk: true), CancellationToken.None);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
        return key;
    }

    public Task<StoredRecording?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        if (!File.Exists(path))
        {
            return Task.FromResult<StoredRecording?>(null);
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous);
        return Task.FromResult<StoredRecording?>(new StoredRecording(stream, RecordingKey.ContentTypeOf(key), stream.Length));
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathFor(key)));

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathFor(key));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Keys come from the database, which the calls API also writes; a key must never reach
    /// outside the recordings folder, whatever it contains.
    /// </summary>
    private string PathFor(string key)
    {
        var path = Path.GetFullPath(Path.Combine(_root, RecordingKey.Checked(key)));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' is not a recording key.", nameof(key));
        }
        return path;
    }
}
