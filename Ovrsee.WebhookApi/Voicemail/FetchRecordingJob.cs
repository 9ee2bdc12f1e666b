using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// voicemail.fetch-recording: copies the audio from Twilio into our storage, then starts
/// transcription (SpeechToText) or the summary (which waits for Twilio's transcript, if any).
/// </summary>
public sealed class FetchRecordingJob(
    VoicemailStore voicemails,
    TwilioRecordingClient twilio,
    IRecordingStorage storage,
    IOptionsMonitor<VoicemailOptions> options,
    ILogger<FetchRecordingJob> logger) : IJobHandler
{
    public string Kind => VoicemailJobs.FetchRecording;

    public async Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var voicemail = await voicemails.GetAsync(job.GetGuid(VoicemailJobs.PayloadKey), cancellationToken);
        if (voicemail is null)
        {
            logger.LogInformation("Voicemail of job {JobId} no longer exists; nothing to fetch", job.Id);
            return JobResult.Done;
        }
        if (voicemail.RecordingUrl is null)
        {
            throw new PermanentJobException("The voicemail has no RecordingUrl.");
        }

        // A re-run after the audio was stored does not download it again.
        var key = voicemail.StoragePath;
        if (key is null || !await storage.ExistsAsync(key, cancellationToken))
        {
            // Streamed from Twilio's answer into storage, block by block.
            await using var recording = await twilio.DownloadAsync(voicemail.RecordingUrl, cancellationToken);
            key = await storage.SaveAsync(voicemail.WorkspaceId, voicemail.RecordingSid, recording.ContentType, recording.Audio, cancellationToken);
        }

        var next = options.CurrentValue.Transcription == VoicemailTranscription.SpeechToText ? VoicemailJobs.Transcribe : VoicemailJobs.Summarize;
        await voicemails.RecordDownloadedAsync(voicemail.Id, key, next, cancellationToken);
        // Only now that ours is stored, and only for workspaces that asked for it.
        await voicemails.EnqueueTwilioCopyDeletionAsync(voicemail.Id, cancellationToken);
        return JobResult.Done;
    }

    public Task OnDeadAsync(ClaimedJob job, string error, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var id = job.GetGuid(VoicemailJobs.PayloadKey);
        // Our transcription needs the audio; Twilio's does not, so its transcript can still be summarised.
        return options.CurrentValue.Transcription == VoicemailTranscription.SpeechToText
            ? VoicemailStore.RecordFailureAsync(connection, transaction, id,
                transcriptError: $"The recording could not be downloaded: {error}",
                summaryStatus: "not_applicable", summaryError: "No transcript to summarise.", nextKind: null, cancellationToken)
            : VoicemailStore.RecordFailureAsync(connection, transaction, id,
                transcriptError: null, summaryStatus: null, summaryError: null, nextKind: VoicemailJobs.Summarize, cancellationToken);
    }
}
