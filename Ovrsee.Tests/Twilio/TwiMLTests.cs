using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio.AspNetCore;
using Twilio.TwiML;
using Ovrsee.WebhookApi.Routing;
using Ovrsee.WebhookApi.Voicemail;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Tests.Twilio;

/// <summary>
/// TwiML is the SDK's (<see cref="VoiceResponse"/>); what is ours is how it is served
/// (<see cref="TwiMLResult"/>) and what we answer calls with (<see cref="CallAnswers"/>).
/// </summary>
public class TwiMLTests
{
    private const string Declaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

    [Fact]
    public async Task Served_as_text_xml_utf8_unindented_without_a_bom()
    {
        var context = new DefaultHttpContext { Response = { Body = new MemoryStream() } };

        await Results.Extensions.TwiML(new VoiceResponse().Say("Zoë & co").Hangup()).ExecuteAsync(context);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("text/xml; charset=utf-8", context.Response.ContentType);
        var bytes = ((MemoryStream)context.Response.Body).ToArray();
        Assert.Equal(bytes.Length, context.Response.ContentLength);
        Assert.Equal((byte)'<', bytes[0]);
        Assert.Equal(Declaration + "<Response><Say>Zoë &amp; co</Say><Hangup></Hangup></Response>", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Characters_xml_cannot_carry_are_dropped_not_thrown()
    {
        // The SDK's own serializer throws on these (a language model's reply may carry them).
        var twiml = new VoiceResponse().Say("Hi\u0001 there\u0007 😀");
        Assert.Throws<ArgumentException>(() => twiml.ToString());

        Assert.Equal(Declaration + "<Response><Say>Hi there 😀</Say></Response>", TwiMLResult.ToXml(twiml));
    }

    [Fact]
    public void An_incoming_call_with_an_agent_connects_the_stream_over_wss_with_its_parameters()
    {
        var callLogId = Guid.NewGuid();
        var workspaceId = Guid.NewGuid();

        var twiml = Answers("https://aloha.example.com/").ForIncomingCall(
            Request("http", "127.0.0.1:5180"), new IncomingCallRecord(callLogId, workspaceId, InService: true, VoicemailEnabled: true, "wss://agent"));

        var connect = Parse(twiml).Element("Connect")!;
        Assert.Equal("https://aloha.example.com/api/aloha/webhooks/connect-action?voicemail=1", (string?)connect.Attribute("action"));
        Assert.Equal("POST", (string?)connect.Attribute("method"));
        var stream = connect.Element("Stream")!;
        Assert.Equal("wss://aloha.example.com/api/aloha/stream", (string?)stream.Attribute("url"));
        Assert.Equal(
            [("callLogId", callLogId.ToString()), ("workspaceId", workspaceId.ToString())],
            stream.Elements("Parameter").Select(p => ((string)p.Attribute("name")!, (string)p.Attribute("value")!)));
    }

    [Fact]
    public void Voicemail_records_with_callbacks_under_the_request_url_when_no_public_url_is_set()
    {
        var twiml = Answers(publicBaseUrl: null).ForIncomingCall(
            Request("https", "hooks.example.com"), new IncomingCallRecord(Guid.NewGuid(), null, InService: true, VoicemailEnabled: true, AgentStreamUrl: null));

        var response = Parse(twiml);
        Assert.Equal(["Say", "Record", "Hangup"], response.Elements().Select(e => e.Name.LocalName));
        var record = response.Element("Record")!;
        Assert.Equal("https://hooks.example.com/api/aloha/webhooks/voicemail-complete", (string?)record.Attribute("action"));
        Assert.Equal("https://hooks.example.com/api/aloha/webhooks/voicemail-recorded", (string?)record.Attribute("recordingStatusCallback"));
        Assert.Equal("completed absent", (string?)record.Attribute("recordingStatusCallbackEvent"));
        Assert.Equal("true", (string?)record.Attribute("playBeep"));
        Assert.Equal("#", (string?)record.Attribute("finishOnKey"));
        Assert.Equal("120", (string?)record.Attribute("maxLength"));
        Assert.Equal("true", (string?)record.Attribute("transcribe"));
        Assert.Equal("https://hooks.example.com/api/aloha/webhooks/voicemail-transcribed", (string?)record.Attribute("transcribeCallback"));
    }

    [Fact]
    public void A_number_out_of_service_says_so_and_hangs_up()
    {
        var response = Parse(Answers(null).ForIncomingCall(Request("https", "h.example.com"), new IncomingCallRecord(Guid.NewGuid(), null, false, false, null)));
        Assert.Equal(["Say", "Hangup"], response.Elements().Select(e => e.Name.LocalName));
        Assert.Contains("not in service", response.Element("Say")!.Value);
    }

    private static CallAnswers Answers(string? publicBaseUrl) => new(
        new StaticMonitor<VoicemailOptions>(new VoicemailOptions()),
        new StaticMonitor<WebhookOptions>(new WebhookOptions { PublicBaseUrl = publicBaseUrl }));

    private static HttpContext Request(string scheme, string host)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.Path = "/api/aloha/webhooks/incoming-call";
        return context;
    }

    private static XElement Parse(VoiceResponse twiml) => XDocument.Parse(TwiMLResult.ToXml(twiml)).Root!;

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;
        public T Get(string? name) => value;
        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
