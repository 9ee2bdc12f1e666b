using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Infrastructure.Recordings;

/// <summary>
/// Recordings as files under <see cref="RecordingsOptions.Directory"/>, keyed
/// <c>&lt;workspaceId&gt;/&lt;RecordingSid&gt;.wav</c>. A file is written under a temporary name and
/// renamed, so a reader (or a crash) never sees half a recording, and saving a key again
/// replaces it with one complete copy.
/// </summary>
public sealed partial class LocalFileRecordingStorage : IRecordingStorage
{
    // Calls to numbers no workspace owns have no workspace; their audio still needs a home.
    private const string NoWorkspaceFolder = "unassigned";

    private readonly string _root;

    public LocalFileRecordingStorage(IOptions<RecordingsOptions> options)
    {
        _root = Path.GetFullPath(options.Value.Directory);
    }

    public string RootDirectory => _root;

    public async Task<string> SaveAsync(Guid? workspaceId, string recordingSid, string contentType, Stream audio, CancellationToken cancellationToken)
    {
        if (!RecordingSidPattern().IsMatch(recordingSid))
        {
            throw new ArgumentException("A RecordingSid is RE followed by 32 letters or digits.", nameof(recordingSid));
        }

        var key = $"{workspaceId?.ToString() ?? NoWorkspaceFolder}/{recordingSid}{ExtensionFor(contentType)}";
        var path = PathFor(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await audio.CopyToAsync(file, cancellationToken);
                // The database will say the recording is stored; that must survive a power cut.
                file.Flush(flushToDisk: true);
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
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
        return Task.FromResult<StoredRecording?>(new StoredRecording(stream, ContentTypeFor(path), stream.Length));
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathFor(key)));

    /// <summary>
    /// Keys come from the database, which the calls API also writes; a key must never reach
    /// outside the recordings folder, whatever it contains.
    /// </summary>
    private string PathFor(string key)
    {
        if (string.IsNullOrEmpty(key) || !KeyPattern().IsMatch(key) || key.Split('/').Any(segment => segment is "." or ".."))
        {
            throw new ArgumentException($"'{key}' is not a recording key.", nameof(key));
        }
        var path = Path.GetFullPath(Path.Combine(_root, key));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' is not a recording key.", nameof(key));
        }
        return path;
    }

    private static string ExtensionFor(string contentType) =>
        contentType.StartsWith("audio/mpeg", StringComparison.OrdinalIgnoreCase) ? ".mp3" : ".wav";

    private static string ContentTypeFor(string path) =>
        path.EndsWith(".mp3", StringComparison.OrdinalIgnoreCase) ? "audio/mpeg" : "audio/wav";

    [GeneratedRegex("^RE[0-9a-zA-Z]{32}$")]
    private static partial Regex RecordingSidPattern();

    // Relative, forward slashes, no leading slash, only the characters our own keys use.
    [GeneratedRegex("^[0-9a-zA-Z_.-]+(/[0-9a-zA-Z_.-]+)*$")]
    private static partial Regex KeyPattern();
}
