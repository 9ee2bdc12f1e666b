using Microsoft.Extensions.AI;
using Npgsql;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Voicemail;

// ISpeechToTextClient is experimental (MEAI001) in Microsoft.Extensions.AI 10.11; see VoicemailAiClients.
#pragma warning disable MEAI001

/// <summary>voicemail.transcribe (Voicemail:Transcription=SpeechToText): stored audio → AI:SpeechToText → transcript.</summary>
public sealed class TranscribeVoicemailJob(VoicemailStore voicemails, IRecordingStorage storage, VoicemailAiClients ai) : IJobHandler
{
    public string Kind => VoicemailJobs.Transcribe;

    public async Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var voicemail = await voicemails.GetAsync(job.GetGuid(VoicemailJobs.PayloadKey), cancellationToken);
        if (voicemail is null)
        {
            return JobResult.Done;
        }
        if (voicemail.TranscriptStatus == "completed")
        {
            // Done before (a re-run): no second transcription, just make sure the summary follows.
            await voicemails.EnqueueAsync(voicemail.Id, VoicemailJobs.Summarize, cancellationToken);
            return JobResult.Done;
        }
        if (ai.SpeechToText is null)
        {
            throw new PermanentJobException("AI:SpeechToText is not configured (AI:SpeechToText:Model).");
        }

        var stored = voicemail.StoragePath is { } key ? await storage.OpenReadAsync(key, cancellationToken) : null;
        if (stored is null)
        {
            // Retried: with several replicas this means Recordings:Directory is not shared.
            throw new InvalidOperationException($"The recording is not in storage ('{voicemail.StoragePath ?? "no storage path"}').");
        }

        SpeechToTextResponse response;
        await using (stored.Content)
        {
            response = await ai.SpeechToText.GetTextAsync(stored.Content, cancellationToken: cancellationToken);
        }
        await voicemails.RecordTranscriptAsync(voicemail.Id, response.Text.Trim(), response.ModelId ?? ai.SpeechToTextModel, cancellationToken);
        return JobResult.Done;
    }

    public Task OnDeadAsync(ClaimedJob job, string error, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        VoicemailStore.RecordFailureAsync(connection, transaction, job.GetGuid(VoicemailJobs.PayloadKey),
            transcriptError: error, summaryStatus: "not_applicable", summaryError: "No transcript to summarise.", nextKind: null, cancellationToken);
}
