using System.Net;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// voicemail.delete-twilio-recording: for workspaces with delete_twilio_recordings, deletes
/// Twilio's copy of a recording once ours is stored (DELETE …/Recordings/{Sid}.json). It checks
/// our copy is there first: a recording is never left with no copy at all.
/// </summary>
public sealed class DeleteTwilioRecordingJob(
    VoicemailStore voicemails,
    IRecordingStorage storage,
    ITwilioRestClient twilio,
    ILogger<DeleteTwilioRecordingJob> logger) : IJobHandler
{
    public string Kind => VoicemailJobs.DeleteTwilioRecording;

    public async Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var voicemail = await voicemails.GetAsync(job.GetGuid(VoicemailJobs.PayloadKey), cancellationToken);
        if (voicemail is null)
        {
            logger.LogInformation("Voicemail of job {JobId} no longer exists; Twilio's copy is left to its own retention", job.Id);
            return JobResult.Done;
        }
        if (voicemail.StoragePath is not { } key || !await storage.ExistsAsync(key, cancellationToken))
        {
            throw new PermanentJobException("Our copy of the recording is not in storage; Twilio's copy is kept.");
        }

        try
        {
            await RecordingResource.DeleteAsync(voicemail.RecordingSid, client: twilio);
        }
        catch (TwilioApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone (deleted by hand, or a retry after a lost answer): what we wanted.
        }
        await voicemails.RecordTwilioCopyDeletedAsync(voicemail.Id, cancellationToken);
        return JobResult.Done;
    }
}
