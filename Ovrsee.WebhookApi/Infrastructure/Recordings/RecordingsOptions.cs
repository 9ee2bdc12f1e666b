namespace Ovrsee.WebhookApi.Infrastructure.Recordings;

/// <summary>The <c>Recordings</c> section: where voicemail audio is kept and where it may be fetched from.</summary>
public sealed class RecordingsOptions
{
    public const string SectionName = "Recordings";
    public const string TwilioApiHost = "api.twilio.com";

    /// <summary>
    /// Local folder for downloaded audio. With several replicas it must be a shared volume: the
    /// replica that transcribes is not necessarily the one that downloaded.
    /// </summary>
    public string Directory { get; set; } = Path.Combine(".ovrsee", "recordings");

    /// <summary>
    /// Hosts besides api.twilio.com that recording URLs may point at (Twilio's regional API hosts,
    /// or a local double in tests). Twilio credentials are sent only to these hosts.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];
}
