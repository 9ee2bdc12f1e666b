using System.Net;
using System.Text.Json;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Calls;

[Trait("Category", "Slow")]
public class CallDetailTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    [Fact]
    public async Task A_call_shows_its_timeline_voicemail_transcript_and_jobs_as_driven_by_twilio()
    {
        var (workspace, user, to) = await Seed.MemberWithNumberAsync(api.Admin);
        var callSid = Seed.NewCallSid();
        var recordingSid = TwilioForms.NewRecordingSid();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-3);

        await api.Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, "+14155550100", to));
        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", TwilioForms.Recording(callSid, recordingSid));
        await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-transcribed", TwilioForms.Transcription(callSid, recordingSid, "Please call me back."));
        await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, "+14155550100", to, "completed", 3, t0.AddSeconds(50), duration: 31));
        var callId = await Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM call_logs WHERE call_sid = $1", callSid);

        var detail = await JsonAsync(await GetAsync(api.Twilio.Http, $"/api/aloha/calls/{callId}", TokenFor(user)));

        var call = detail.GetProperty("call");
        Assert.Equal(callSid, call.GetProperty("callSid").GetString());
        Assert.Equal("completed", call.GetProperty("status").GetString());
        Assert.Equal(31, call.GetProperty("durationSeconds").GetInt32());
        Assert.True(call.GetProperty("hasVoicemail").GetBoolean());
        var kinds = detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["incoming-call", "status", "voicemail-recorded", "voicemail-transcribed"], kinds.Order(StringComparer.Ordinal));
        var voicemail = detail.GetProperty("voicemail");
        Assert.Equal(recordingSid, voicemail.GetProperty("recordingSid").GetString());
        Assert.Equal("Please call me back.", voicemail.GetProperty("transcript").GetString());
        Assert.Equal("completed", voicemail.GetProperty("transcriptStatus").GetString());
        var job = Assert.Single(voicemail.GetProperty("jobs").EnumerateArray());
        Assert.Equal("voicemail.fetch-recording", job.GetProperty("kind").GetString());
        Assert.Contains(job.GetProperty("state").GetString(), new[] { "queued", "running", "succeeded", "dead" });
        Assert.DoesNotContain("api.twilio.com", detail.GetProperty("voicemail").ToString());
    }

    [Fact]
    public async Task The_openapi_document_lists_both_endpoints_with_their_parameters_and_the_bearer_scheme()
    {
        var response = await api.Twilio.Http.GetAsync("/openapi/v1.json");
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = document.GetProperty("paths");
        var list = paths.GetProperty("/api/aloha/calls").GetProperty("get");
        var names = list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "status", "direction", "phoneNumberId", "from", "to", "since", "until", "hasVoicemail", "limit", "cursor" }, names);
        var detail = paths.GetProperty("/api/aloha/calls/{id}").GetProperty("get");
        Assert.Contains(detail.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "id");
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());
        Assert.False(paths.TryGetProperty("/api/aloha/webhooks/incoming-call", out _));
    }
}
