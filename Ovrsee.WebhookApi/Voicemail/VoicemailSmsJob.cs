using Npgsql;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using Ovrsee.WebhookApi.Jobs;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// voicemail.notify-sms: texts the number's owner (user_phone_numbers.voicemail_sms_to) once the
/// voicemail's summary is settled, from the number itself through Twilio's Messages API.
/// </summary>
/// <remarks>
/// Once per voicemail even across retries and restarts: the job is enqueued once (its dedupe key is
/// the voicemail id), and the text is committed as 'sending' before Twilio is asked. Creating a
/// message is not idempotent in Twilio's API and our client never repeats the POST, so a retry
/// that finds 'sending' (the answer was lost: a crash, a timeout, a 5xx after Twilio queued it)
/// first lists the messages from that number to that phone and takes the one with our text.
/// </remarks>
public sealed class VoicemailSmsJob(VoicemailSmsStore store, ITwilioRestClient twilio, ILogger<VoicemailSmsJob> logger) : IJobHandler
{
    /// <summary>How far back a retry looks for a message an earlier attempt may have created: Twilio lists newest first.</summary>
    private const int MessagesToSearch = 50;

    public string Kind => VoicemailJobs.NotifyBySms;

    public async Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var voicemail = await store.GetAsync(job.GetGuid(VoicemailJobs.PayloadKey), cancellationToken);
        if (voicemail is null || voicemail.State is "sent" or "failed")
        {
            return JobResult.Done;
        }

        PendingSms sms;
        if (voicemail.Pending is { } pending)
        {
            if (await FindCreatedAsync(pending) is { } sid)
            {
                logger.LogInformation("Voicemail {VoicemailId}: Twilio already holds the text ({MessageSid}); not sending it again", voicemail.VoicemailId, sid);
                await store.MarkSentAsync(voicemail.VoicemailId, sid, cancellationToken);
                return JobResult.Done;
            }
            sms = pending;
        }
        else
        {
            if (voicemail.NotifyTo is null || voicemail.NumberE164 is null)
            {
                return JobResult.Done; // turned off since the job was queued
            }
            sms = new PendingSms(voicemail.NotifyTo, voicemail.NumberE164, VoicemailSmsText.Compose(voicemail));
            await store.BeginAsync(voicemail, sms, cancellationToken);
        }

        MessageResource message;
        try
        {
            message = await MessageResource.CreateAsync(new CreateMessageOptions(new PhoneNumber(sms.To))
            {
                From = new PhoneNumber(sms.From),
                Body = sms.Body,
            }, twilio);
        }
        catch (TwilioApiException ex) when (ex.IsDefinitive)
        {
            // An invalid or unreachable phone, a number that cannot send SMS: the same answer every time.
            throw new PermanentJobException($"Twilio refused the text ({(int)ex.StatusCode}{(ex.Code is { } code ? $", error {code}" : "")}): {ex.Message}", ex);
        }
        await store.MarkSentAsync(voicemail.VoicemailId, message.Sid, cancellationToken);
        return JobResult.Done;
    }

    public Task OnDeadAsync(ClaimedJob job, string error, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        VoicemailSmsStore.MarkFailedAsync(connection, transaction, job.GetGuid(VoicemailJobs.PayloadKey), error, cancellationToken);

    private async Task<string?> FindCreatedAsync(PendingSms sms)
    {
        var recent = await MessageResource.ReadAsync(new ReadMessageOptions
        {
            To = new PhoneNumber(sms.To),
            From = new PhoneNumber(sms.From),
            PageSize = MessagesToSearch,
            Limit = MessagesToSearch,
        }, twilio);
        return recent.FirstPageOnly().FirstOrDefault(m => m.Body == sms.Body)?.Sid;
    }
}
