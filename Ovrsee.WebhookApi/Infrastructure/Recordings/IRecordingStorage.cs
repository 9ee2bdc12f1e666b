namespace Ovrsee.WebhookApi.Infrastructure.Recordings;

/// <summary>
/// Where downloaded voicemail audio lives. The local filesystem by default; a blob store can
/// implement the same three calls. Keys are opaque to callers and stored in
/// voicemail_messages.storage_path.
/// </summary>
public interface IRecordingStorage
{
    /// <summary>Stores the audio under a key derived from the workspace and RecordingSid; writing the same key twice keeps one copy.</summary>
    Task<string> SaveAsync(Guid? workspaceId, string recordingSid, string contentType, Stream audio, CancellationToken cancellationToken);

    /// <summary>The stored audio, or null when the key is unknown.</summary>
    Task<StoredRecording?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);
}

public sealed record StoredRecording(Stream Content, string ContentType, long? Length);
