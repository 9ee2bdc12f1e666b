using System.Net;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio;
using Twilio.Security;

namespace Ovrsee.Tests.Reconciliation;

/// <summary>
/// Twilio reads the connection-override fragment (#ct=…&amp;rt=…&amp;rc=…&amp;rp=…) off the configured
/// URL and never sends it: a fragment is not part of an HTTP request, and Twilio signs the URL it
/// requests. The WebhookApi must accept exactly that signature, and a signature over the URL
/// with the fragment (which Twilio never makes) must not pass.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConnectionOverrideSignatureTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    public static TheoryData<string, string> Webhooks => new()
    {
        { "/api/aloha/webhooks/incoming-call", WebhookTargets.IncomingCallOverrides },
        { "/api/aloha/webhooks/call-status", WebhookTargets.CallStatusOverrides },
    };

    [Theory]
    [MemberData(nameof(Webhooks))]
    public async Task A_webhook_to_a_connection_override_url_validates_with_the_signature_twilio_computes(string path, string overrides)
    {
        var configured = new Uri(api.Service.HttpEndpoint, path + overrides).ToString();
        var requested = configured[..configured.IndexOf('#', StringComparison.Ordinal)];
        var callSid = Seed.NewCallSid();
        var form = TwilioForms.Status(callSid, "+14155550100", "+14155550199", "completed", 2, DateTimeOffset.UtcNow, 12);
        var signature = TwilioSignature.Compute(TestServiceEnvironment.AuthToken, requested, form);
        // Twilio's own validator (twilio-csharp) agrees that this is the signature for the URL Twilio requests.
        Assert.True(new RequestValidator(TestServiceEnvironment.AuthToken).Validate(requested, form, signature));

        using var accepted = await api.Twilio.PostAsync(path, form, signatureOverride: signature);
        Assert.True(accepted.IsSuccessStatusCode, $"{(int)accepted.StatusCode}");
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = $1", callSid));

        var otherSid = Seed.NewCallSid();
        var otherForm = TwilioForms.Status(otherSid, "+14155550100", "+14155550199", "completed", 2, DateTimeOffset.UtcNow, 12);
        using var refused = await api.Twilio.PostAsync(path, otherForm,
            signatureOverride: TwilioSignature.Compute(TestServiceEnvironment.AuthToken, configured, otherForm));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_logs WHERE call_sid = $1", otherSid));
    }
}
