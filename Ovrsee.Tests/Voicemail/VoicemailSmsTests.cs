using System.Text.Json;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Voicemail;

namespace Ovrsee.Tests.Voicemail;

/// <summary>
/// The owner's text when someone leaves a voicemail (#19): sent once the summary is settled, from
/// the number itself, through a stateful Twilio double whose every request Prism checks against
/// Twilio's OpenAPI description.
/// </summary>
[Trait("Category", "Slow")]
public sealed class VoicemailSmsTests : IAsyncLifetime
{
    private const string OwnerPhone = "+14155559876";
    private TwilioDouble _twilio = null!;

    public async Task InitializeAsync() => _twilio = await TwilioDouble.StartAsync(await PrismServer.GetAsync());

    public async Task DisposeAsync() => await _twilio.DisposeAsync();

    [Fact]
    public async Task The_owner_gets_one_text_with_the_caller_and_the_summary_even_when_every_job_runs_again()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        await using var ai = await OpenAIDouble.StartAsync();
        var settings = PipelineHost.WithAI(Settings(database), ai);
        settings["Voicemail:Transcription"] = "SpeechToText";
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        var number = await OptInAsync(database, voicemail);
        await using var runner = await PipelineHost.StartAsync(settings);

        await SmsSettledAsync(database, voicemail);

        var message = Assert.Single(_twilio.Messages);
        Assert.Equal(OwnerPhone, message.To);
        Assert.Equal(number, message.From);
        Assert.Contains(VoicemailSeed.From, message.Body);
        var summary = JsonDocument.Parse((await Stored.VoicemailAsync(database, "summary", voicemail.Id))!).RootElement.GetProperty("summary").GetString()!;
        Assert.Contains(summary[..40], message.Body);
        Assert.Equal("sent", await SmsAsync(database, "state", voicemail.Id));
        Assert.Equal(message.Sid, await SmsAsync(database, "message_sid", voicemail.Id));
        Assert.Equal(1L, await Stored.EventsAsync(database, voicemail.CallSid, "voicemail-sms"));

        // Every job of the voicemail runs again, as after a crash between its work and its completion.
        await Seed.ExecuteAsync(database.AdminConnectionString,
            "UPDATE jobs SET state = 'queued', run_after = now(), completed_at = NULL WHERE payload->>'voicemailId' = $1", voicemail.Id.ToString());
        Assert.True(await Eventually.TrueAsync(async () =>
            await Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM jobs WHERE state <> 'succeeded' AND payload->>'voicemailId' = $1", voicemail.Id.ToString()) == 0),
            await Stored.JobsAsync(database));
        Assert.Single(_twilio.Messages);
        Assert.Equal(1, _twilio.MessageCreates);
        Assert.Equal(1L, await Stored.EventsAsync(database, voicemail.CallSid, "voicemail-sms"));
        Assert.Empty(await _twilio.ContractViolationsAsync());
    }

    [Fact]
    public async Task When_Twilio_queued_the_text_but_the_answer_was_lost_the_retry_finds_it_and_sends_nothing_twice()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await OptInAsync(database, voicemail);
        _twilio.Inject(r => r.Method == "POST" && r.Path.EndsWith("/Messages.json", StringComparison.Ordinal), new TwilioFault.Status(500, After: true));
        await using var runner = await PipelineHost.StartAsync(Settings(database));

        await SmsSettledAsync(database, voicemail);

        var message = Assert.Single(_twilio.Messages);
        Assert.Equal(1, _twilio.MessageCreates);
        Assert.Equal("sent", await SmsAsync(database, "state", voicemail.Id));
        Assert.Equal(message.Sid, await SmsAsync(database, "message_sid", voicemail.Id));
        Assert.Equal(2, await Stored.JobAttemptsAsync(database, VoicemailJobs.NotifyBySms, voicemail.Id));
        Assert.Contains(_twilio.Requests, r => r.Method == "GET" && r.Path.EndsWith("/Messages.json", StringComparison.Ordinal)
            && r.Query.GetValueOrDefault("To") == OwnerPhone);
        Assert.Empty(await _twilio.ContractViolationsAsync());
    }

    [Fact]
    public async Task A_phone_Twilio_refuses_is_marked_failed_at_once_with_Twilios_reason()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await OptInAsync(database, voicemail);
        _twilio.Inject(r => r.Method == "POST" && r.Path.EndsWith("/Messages.json", StringComparison.Ordinal),
            new TwilioFault.Status(400, "Attempt to send to unsubscribed recipient", TwilioCode: 21610));
        await using var runner = await PipelineHost.StartAsync(Settings(database));

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.NotifyBySms, voicemail.Id) == "dead"),
            await Stored.JobsAsync(database));
        Assert.Equal(1, await Stored.JobAttemptsAsync(database, VoicemailJobs.NotifyBySms, voicemail.Id));
        Assert.Equal("failed", await SmsAsync(database, "state", voicemail.Id));
        Assert.Contains("21610", await SmsAsync(database, "error", voicemail.Id));
        Assert.Equal("failed", await Seed.ScalarAsync<string>(database.AdminConnectionString,
            "SELECT status FROM call_events WHERE call_sid = $1 AND kind = 'voicemail-sms'", voicemail.CallSid));
        Assert.Empty(_twilio.Messages);
    }

    [Fact]
    public async Task A_number_that_did_not_opt_in_sends_no_text()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var recordings = await RecordingDouble.StartAsync();
        var voicemail = await VoicemailSeed.RecordedAsync(database, recordings.RecordingUrl);
        await using var runner = await PipelineHost.StartAsync(Settings(database));

        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.Summarize, voicemail.Id) == "succeeded"),
            await Stored.JobsAsync(database));

        Assert.Null(await Stored.JobStateAsync(database, VoicemailJobs.NotifyBySms, voicemail.Id));
        Assert.Null(await SmsAsync(database, "state", voicemail.Id));
        Assert.Equal(0, _twilio.MessageCreates);
    }

    private Dictionary<string, string?> Settings(TestDatabase database)
    {
        var settings = PipelineHost.Settings(database);
        settings["Twilio:BaseUrl"] = _twilio.BaseUrl.ToString().TrimEnd('/');
        return settings;
    }

    private static async Task<string> OptInAsync(TestDatabase database, VoicemailSeed.Recorded voicemail)
    {
        await Seed.ExecuteAsync(database.AdminConnectionString,
            "UPDATE user_phone_numbers SET voicemail_sms_to = $2 WHERE workspace_id = $1", voicemail.WorkspaceId, OwnerPhone);
        return (await Seed.ScalarAsync<string>(database.AdminConnectionString,
            "SELECT phone_number FROM user_phone_numbers WHERE workspace_id = $1", voicemail.WorkspaceId))!;
    }

    private static async Task SmsSettledAsync(TestDatabase database, VoicemailSeed.Recorded voicemail) =>
        Assert.True(await Eventually.TrueAsync(async () => await Stored.JobStateAsync(database, VoicemailJobs.NotifyBySms, voicemail.Id) is "succeeded" or "dead"),
            await Stored.JobsAsync(database));

    private static Task<string?> SmsAsync(TestDatabase database, string column, Guid voicemailId) =>
        Seed.ScalarAsync<string>(database.AdminConnectionString, $"SELECT {column} FROM voicemail_sms WHERE voicemail_id = $1", voicemailId);
}
