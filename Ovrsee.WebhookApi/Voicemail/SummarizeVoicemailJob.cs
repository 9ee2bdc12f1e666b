using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.WebhookApi.Jobs;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// voicemail.summarize: transcript → summary JSON. With Twilio transcription the transcript comes
/// by webhook whenever Twilio is done, so until Voicemail:Pipeline:TwilioTranscriptWait has passed
/// a missing transcript re-queues the job (not a failed attempt); after that the voicemail is
/// closed without a summary.
/// </summary>
public sealed class SummarizeVoicemailJob(
    VoicemailStore voicemails,
    VoicemailSummarizer summarizer,
    IOptionsMonitor<VoicemailOptions> voicemailOptions,
    IOptionsMonitor<VoicemailPipelineOptions> pipelineOptions) : IJobHandler
{
    public string Kind => VoicemailJobs.Summarize;

    public async Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var voicemail = await voicemails.GetAsync(job.GetGuid(VoicemailJobs.PayloadKey), cancellationToken);
        if (voicemail is null || voicemail.SummaryStatus == "completed")
        {
            return JobResult.Done;
        }

        if (voicemail.TranscriptStatus == "completed" && !string.IsNullOrWhiteSpace(voicemail.Transcript))
        {
            var summary = await summarizer.SummarizeAsync(voicemail.Transcript, voicemail.CallerNumber, cancellationToken);
            await voicemails.RecordSummaryAsync(voicemail.Id, summary.ToJson(), cancellationToken);
            return JobResult.Done;
        }

        var mode = voicemailOptions.CurrentValue.Transcription;
        var pipeline = pipelineOptions.CurrentValue;
        var transcriptPending = voicemail.TranscriptStatus is "pending" or "processing";
        if (transcriptPending && mode != VoicemailTranscription.None
            && DateTimeOffset.UtcNow < voicemail.CreatedAt + pipeline.TwilioTranscriptWait)
        {
            return JobResult.RunAgainAfter(pipeline.TwilioTranscriptPollInterval, "waiting for the transcript");
        }

        var (reason, transcriptStatus, transcriptError) = voicemail.TranscriptStatus switch
        {
            "failed" => ("Transcription failed; nothing to summarise.", null, null),
            "not_applicable" => ("There is no transcript to summarise.", null, null),
            "completed" => ("The transcript is empty.", null, null),
            _ when mode == VoicemailTranscription.None => ("Transcription is off (Voicemail:Transcription=None).", "not_applicable", (string?)null),
            _ => ($"No transcript arrived within {pipeline.TwilioTranscriptWait}.", "failed", $"No transcript arrived within {pipeline.TwilioTranscriptWait}."),
        };
        await voicemails.RecordNoSummaryAsync(voicemail.Id, reason, transcriptStatus, transcriptError, cancellationToken);
        return JobResult.Done;
    }

    public Task OnDeadAsync(ClaimedJob job, string error, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        VoicemailStore.RecordFailureAsync(connection, transaction, job.GetGuid(VoicemailJobs.PayloadKey),
            transcriptError: null, summaryStatus: "failed", summaryError: error, nextKind: null, cancellationToken);
}
