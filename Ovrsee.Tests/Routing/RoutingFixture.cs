using System.Net;
using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Routing;

/// <summary>
/// The real WebhookApi whose routing clock starts at <see cref="StartAt"/>: Sunday 8 March 2026,
/// 14:30 UTC, the day US clocks sprang forward (07:00 UTC). New York reads 10:30 (EDT; it would be
/// 09:30 without the change), Nouméa (UTC+11) reads Monday 01:30. Tests run for seconds, and every
/// range they set has at least 25 minutes' margin around the clock.
/// </summary>
public sealed class RoutingFixture : WebhookApiFixture
{
    public const string StartAt = "2026-03-08T14:30:00Z";
    public const string Caller = "+14155550100";

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Routing__Clock__StartAt"] = StartAt,
    };

    /// <summary>A number with <paramref name="routingJson"/> (null: none) in a workspace with an agent.</summary>
    public async Task<string> NumberAsync(string? routingJson, bool voicemail = true, Guid? inWorkspace = null)
    {
        var workspace = inWorkspace ?? await Seed.WorkspaceAsync(Admin, agentStreamUrl: "wss://agent.example/aloha");
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        var id = await Seed.PhoneNumberAsync(Admin, workspace, number, voicemail);
        if (routingJson is not null)
        {
            await Seed.ExecuteAsync(Admin, "UPDATE user_phone_numbers SET routing = $2::jsonb WHERE id = $1", id, routingJson);
        }
        return number;
    }

    public async Task<XDocument> PostAsync(string pathAndQuery, Dictionary<string, string> form)
    {
        var response = await Twilio.PostAsync(pathAndQuery, form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    public Task<XDocument> IncomingAsync(string callSid, string number) =>
        PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, Caller, number));

    /// <summary>Twilio's request to a Dial's action URL (path and query as we answered them).</summary>
    public Task<XDocument> DialEndedAsync(string actionUrl, string callSid, string number, string dialStatus)
    {
        var form = TwilioForms.IncomingCall(callSid, Caller, number);
        form["CallStatus"] = "in-progress";
        form["DialCallStatus"] = dialStatus;
        if (dialStatus is "completed" or "answered")
        {
            form["DialCallSid"] = Seed.NewCallSid();
            form["DialCallDuration"] = "42";
        }
        return PostAsync(new Uri(actionUrl).PathAndQuery, form);
    }

    /// <summary>The routed entry is written behind the answer (no second round trip on the hot path).</summary>
    public async Task<string> RoutedAsync(string callSid)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (await Seed.ScalarAsync<string>(Admin, "SELECT payload::text FROM call_events WHERE call_sid = $1 AND kind = 'routed'", callSid) is { } payload)
            {
                return payload;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"No routed event for {callSid}.");
    }
}
