using System.Net;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

[Trait("Category", "Slow")]
public class VoicemailCallbackTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private async Task<(string CallSid, Guid Workspace)> CallAsync()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var to = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, to);
        var callSid = Seed.NewCallSid();
        await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, "+14155550100", to));
        return (callSid, workspace);
    }

    [Fact]
    public async Task A_recording_callback_replayed_three_times_gives_one_voicemail_and_one_job()
    {
        var (callSid, workspace) = await CallAsync();
        var recordingSid = TwilioForms.NewRecordingSid();
        var form = TwilioForms.Recording(callSid, recordingSid);

        for (var i = 0; i < 3; i++)
        {
            var response = await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", form, idempotencyToken: "same-event");
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM voicemail_messages WHERE call_sid = $1", callSid));
        Assert.Equal(workspace, await Seed.ScalarAsync<Guid>(api.Admin, "SELECT workspace_id FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal(14, await Seed.ScalarAsync<int>(api.Admin, "SELECT recording_duration_seconds FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM jobs WHERE payload->>'voicemailId' = (SELECT id::text FROM voicemail_messages WHERE recording_sid = $1)", recordingSid));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = 'voicemail-recorded'", callSid));
    }

    [Fact]
    public async Task An_absent_recording_is_kept_as_such_and_starts_no_job()
    {
        var (callSid, _) = await CallAsync();
        var recordingSid = TwilioForms.NewRecordingSid();

        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid, status: "absent", duration: 0));

        Assert.Equal("absent", await Seed.ScalarAsync<string>(api.Admin, "SELECT recording_status FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal("not_applicable", await Seed.ScalarAsync<string>(api.Admin, "SELECT transcript_status FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM jobs WHERE payload->>'voicemailId' = (SELECT id::text FROM voicemail_messages WHERE recording_sid = $1)", recordingSid));
    }

    [Fact]
    public async Task Twilio_transcription_is_stored_on_the_voicemail_whichever_callback_comes_first()
    {
        var (callSid, _) = await CallAsync();
        var recordingSid = TwilioForms.NewRecordingSid();
        var transcription = TwilioForms.Transcription(callSid, recordingSid, "Hi, it's Dana, please call me back about the lease.");

        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-transcribed", transcription);
        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-transcribed", transcription);
        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid));

        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM voicemail_messages WHERE call_sid = $1", callSid));
        Assert.Equal("Hi, it's Dana, please call me back about the lease.", await Seed.ScalarAsync<string>(api.Admin, "SELECT transcript FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT transcript_status FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT recording_status FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
    }
}

[Trait("Category", "Slow")]
public class CallbackBeforeIncomingCallTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    [Fact]
    public async Task Callbacks_that_beat_the_incoming_call_end_up_in_the_calls_workspace()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var to = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, to);
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();

        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-transcribed", TwilioForms.Transcription(callSid, recordingSid, "Call me."));
        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid));
        Assert.Null(await Seed.ScalarAsync<Guid?>(api.Admin, "SELECT workspace_id FROM voicemail_messages WHERE recording_sid = $1", recordingSid));

        await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, "+14155550100", to));

        Assert.Equal(workspace, await Seed.ScalarAsync<Guid>(api.Admin, "SELECT workspace_id FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND workspace_id IS DISTINCT FROM $2", callSid, workspace));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM jobs WHERE workspace_id IS NULL"));
    }
}
