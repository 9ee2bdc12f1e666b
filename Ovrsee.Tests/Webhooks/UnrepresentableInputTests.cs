using System.Net;
using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

/// <summary>
/// Validly signed input that PostgreSQL cannot hold as sent: a NUL anywhere, a negative duration,
/// an absurdly long status. Twilio gets a 2xx (TwiML for an incoming-call) and the call is stored,
/// with NUL as U+FFFD, the negative duration as unknown, the status cut to 256 characters.
/// </summary>
[Trait("Category", "Slow")]
public class UnrepresentableInputTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private const string To = "+14155550199", From = "+14155550100";

    [Fact]
    public async Task A_NUL_in_a_parameter_name_or_value_is_stored_as_the_replacement_character()
    {
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.IncomingCall(callSid, From, To);
        form["FromCity"] = "SAN\0FRANCISCO";
        form["Custom\0Name"] = "value";

        using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Response", XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Name.LocalName);
        Assert.Equal("SAN\uFFFDFRANCISCO", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'FromCity' FROM call_events WHERE call_sid = $1 AND kind = 'incoming-call'", callSid));
        Assert.Equal("value", await Seed.ScalarAsync<string>(api.Admin,
            "SELECT payload->>'Custom\uFFFDName' FROM call_events WHERE call_sid = $1 AND kind = 'incoming-call'", callSid));
    }

    [Fact]
    public async Task A_NUL_in_a_status_callback_value_is_stored()
    {
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.Status(callSid, From, To, "completed", 3, DateTimeOffset.UtcNow, duration: 12);
        form["To"] = To + "\0";

        using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", form);

        Assert.True(response.IsSuccessStatusCode, $"answered {(int)response.StatusCode}");
        Assert.Equal(To + "\uFFFD", await Seed.ScalarAsync<string>(api.Admin, "SELECT to_number FROM call_logs WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task A_negative_CallDuration_is_stored_as_unknown_with_the_call()
    {
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.Status(callSid, From, To, "completed", 3, DateTimeOffset.UtcNow, duration: 10);
        form["CallDuration"] = "-5";
        form["Duration"] = "-1";

        using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", form);

        Assert.True(response.IsSuccessStatusCode, $"answered {(int)response.StatusCode}");
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", callSid));
        Assert.True(await Seed.ScalarAsync<bool>(api.Admin, "SELECT duration_seconds IS NULL FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Equal("-5", await Seed.ScalarAsync<string>(api.Admin, "SELECT payload->>'CallDuration' FROM call_events WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task A_negative_RecordingDuration_is_stored_as_unknown_with_the_voicemail()
    {
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();

        using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid, duration: -3));

        Assert.True(response.IsSuccessStatusCode, $"answered {(int)response.StatusCode}");
        Assert.True(await Seed.ScalarAsync<bool>(api.Admin,
            "SELECT recording_duration_seconds IS NULL FROM voicemail_messages WHERE recording_sid = $1", recordingSid));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task A_status_too_long_for_a_unique_key_is_shortened_and_stored()
    {
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.Status(callSid, From, To, new string('x', 5000), 3, DateTimeOffset.UtcNow);
        form["Timestamp"] = new string('t', 5000);

        using var response = await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", form);

        Assert.True(response.IsSuccessStatusCode, $"answered {(int)response.StatusCode}");
        Assert.Equal(256, await Seed.ScalarAsync<int>(api.Admin, "SELECT length(status) FROM call_logs WHERE call_sid = $1", callSid));
    }
}
