namespace Ovrsee.WebhookApi.Recordings;

/// <summary>
/// Where downloaded voicemail audio lives: Azure Blob Storage (<see cref="BlobRecordingStorage"/>,
/// Azurite locally) or a local folder (<see cref="LocalFileRecordingStorage"/>, one replica only).
/// Keys are <see cref="RecordingKey"/>s, stored in voicemail_messages.storage_path. Audio is
/// streamed in and out: neither side holds a whole recording in memory.
/// </summary>
public interface IRecordingStorage
{
    /// <summary>What it is, for logs and the dashboard: <c>local-folder</c> or <c>azure-blob</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Stores the audio under a key derived from the workspace and RecordingSid. Nothing is visible
    /// under the key until the whole recording is stored; writing the same key twice keeps one copy.
    /// </summary>
    Task<string> SaveAsync(Guid? workspaceId, string recordingSid, string contentType, Stream audio, CancellationToken cancellationToken);

    /// <summary>The stored audio, or null when the key is unknown.</summary>
    Task<StoredRecording?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes the recording; a key already gone is not an error (retention re-runs).</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A stored recording. Seekable content lets playback answer Range requests (seeking in the browser).</summary>
public sealed record StoredRecording(Stream Content, string ContentType, long? Length);
