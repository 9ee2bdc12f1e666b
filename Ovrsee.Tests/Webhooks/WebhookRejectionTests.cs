using System.Net;
using System.Text;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

/// <summary>Forged, tampered and malformed requests: a clear 4xx and nothing written.</summary>
[Trait("Category", "Slow")]
public class WebhookRejectionTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private const string Path = "/api/aloha/webhooks/incoming-call";

    private async Task<long> RowsAsync() => await Seed.ScalarAsync<long>(api.Admin,
        "SELECT (SELECT count(*) FROM call_logs) + (SELECT count(*) FROM call_events) + (SELECT count(*) FROM voicemail_messages) + (SELECT count(*) FROM jobs)");

    [Fact]
    public async Task A_forged_signature_is_refused_and_nothing_is_written()
    {
        var before = await RowsAsync();
        var response = await api.Twilio.PostAsync(Path, TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", "+14155550199"),
            signatureOverride: "RSOYDt4T1cUTdK1PDd93/VVr8B8=");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await RowsAsync());
    }

    [Fact]
    public async Task A_missing_signature_is_refused_and_nothing_is_written()
    {
        var before = await RowsAsync();
        var content = new FormUrlEncodedContent(TwilioForms.Status(Seed.NewCallSid(), "+14155550100", "+14155550199", "completed", 3, DateTimeOffset.UtcNow, 10));
        var response = await api.Twilio.Http.PostAsync("/api/aloha/webhooks/call-status", content);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await RowsAsync());
    }

    [Fact]
    public async Task A_tampered_body_is_refused_and_nothing_is_written()
    {
        var before = await RowsAsync();
        var form = TwilioForms.Recording(Seed.NewCallSid(), TwilioForms.NewRecordingSid());
        var url = new Uri(api.Twilio.BaseAddress, "/api/aloha/webhooks/voicemail-recorded").ToString();
        var signature = Ovrsee.Twilio.TwilioSignature.Compute(TestServiceEnvironment.AuthToken, url, form);
        form["RecordingUrl"] = "https://attacker.example/evil.wav";

        var response = await api.Twilio.PostAsync("/api/aloha/webhooks/voicemail-recorded", form, signatureOverride: signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await RowsAsync());
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        var response = await api.Twilio.Http.PostAsync(Path, new StringContent("<xml/>", Encoding.UTF8, "application/xml"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task An_oversized_body_is_413()
    {
        var form = TwilioForms.IncomingCall(Seed.NewCallSid(), "+14155550100", "+14155550199");
        form["Padding"] = new string('x', 70 * 1024);
        var response = await api.Twilio.PostAsync(Path, form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_signed_request_without_a_valid_CallSid_is_a_400_problem_naming_the_field()
    {
        var before = await RowsAsync();
        var form = TwilioForms.IncomingCall("not-a-call-sid", "+14155550100", "+14155550199");

        var response = await api.Twilio.PostAsync(Path, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("CallSid", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await RowsAsync());
    }

    [Fact]
    public async Task A_signed_but_malformed_form_body_is_400_not_500()
    {
        var url = new Uri(api.Twilio.BaseAddress, Path).ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent("CallSid=%ZZ%&&==", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.TryAddWithoutValidation("X-Twilio-Signature", Ovrsee.Twilio.TwilioSignature.Compute(TestServiceEnvironment.AuthToken, url, []));

        var response = await api.Twilio.Http.SendAsync(request);

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"got {(int)response.StatusCode}");
    }
}
