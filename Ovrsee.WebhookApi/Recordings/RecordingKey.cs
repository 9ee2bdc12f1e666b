using System.Text.RegularExpressions;

namespace Ovrsee.WebhookApi.Recordings;

/// <summary>
/// How a recording is named in storage, whichever storage it is: <c>&lt;workspaceId&gt;/&lt;RecordingSid&gt;.wav</c>
/// (or <c>.mp3</c>). Keys are stored in voicemail_messages.storage_path and come back from the
/// database, so they are checked again before they name a file or a blob.
/// </summary>
public static partial class RecordingKey
{
    // Calls to numbers no workspace owns have no workspace; their audio still needs a home.
    public const string NoWorkspaceFolder = "unassigned";

    public static string For(Guid? workspaceId, string recordingSid, string contentType)
    {
        if (!RecordingSidPattern().IsMatch(recordingSid))
        {
            throw new ArgumentException("A RecordingSid is RE followed by 32 letters or digits.", nameof(recordingSid));
        }
        return $"{workspaceId?.ToString() ?? NoWorkspaceFolder}/{recordingSid}{ExtensionFor(contentType)}";
    }

    /// <summary>Relative, forward slashes, no leading slash, no . or .. segment, only the characters our own keys use.</summary>
    public static string Checked(string key)
    {
        if (string.IsNullOrEmpty(key) || !KeyPattern().IsMatch(key) || key.Split('/').Any(segment => segment is "." or ".."))
        {
            throw new ArgumentException($"'{key}' is not a recording key.", nameof(key));
        }
        return key;
    }

    /// <summary>The content type a key's extension stands for, where the storage keeps none.</summary>
    public static string ContentTypeOf(string key) =>
        key.EndsWith(".mp3", StringComparison.OrdinalIgnoreCase) ? "audio/mpeg" : "audio/wav";

    private static string ExtensionFor(string contentType) =>
        contentType.StartsWith("audio/mpeg", StringComparison.OrdinalIgnoreCase) ? ".mp3" : ".wav";

    [GeneratedRegex("^RE[0-9a-zA-Z]{32}$")]
    private static partial Regex RecordingSidPattern();

    [GeneratedRegex("^[0-9a-zA-Z_.-]+(/[0-9a-zA-Z_.-]+)*$")]
    private static partial Regex KeyPattern();
}
