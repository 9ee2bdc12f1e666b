namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// The voicemail pipeline's job kinds, in order. Each job's dedupe_key is the voicemail id and its
/// payload carries {"voicemailId": ...}, which is how the calls API finds a voicemail's jobs.
/// </summary>
public static class VoicemailJobs
{
    /// <summary>Enqueued by the voicemail-recorded webhook (CallbackRecorder).</summary>
    public const string FetchRecording = "voicemail.fetch-recording";
    public const string Transcribe = "voicemail.transcribe";
    public const string Summarize = "voicemail.summarize";

    /// <summary>After the fetch, for workspaces with delete_twilio_recordings: Twilio's copy is deleted.</summary>
    public const string DeleteTwilioRecording = "voicemail.delete-twilio-recording";

    /// <summary>When the summary is settled (made, impossible or dead), for numbers with voicemail_sms_to: the owner's text.</summary>
    public const string NotifyBySms = "voicemail.notify-sms";

    /// <summary>One standing job (dedupe key <see cref="RecordingRetentionJob.DedupeKey"/>) that sweeps expired recordings and re-queues itself.</summary>
    public const string RecordingRetention = "recordings.retention";

    public const string PayloadKey = "voicemailId";
}

/// <summary>The <c>Voicemail:Pipeline</c> section.</summary>
public sealed class VoicemailPipelineOptions
{
    public const string SectionName = "Voicemail:Pipeline";

    /// <summary>
    /// With Voicemail:Transcription=Twilio, how long after the recording the summary waits for
    /// Twilio's transcription callback before giving up on it.
    /// </summary>
    public TimeSpan TwilioTranscriptWait { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a waiting summary looks again (a re-queue, not a failed attempt).</summary>
    public TimeSpan TwilioTranscriptPollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
