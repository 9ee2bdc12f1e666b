using System.Text;
using System.Xml.Linq;
using Ovrsee.Twilio.TwiML;
using Record = Ovrsee.Twilio.TwiML.Record; // Xunit.Record is in scope via the global using

namespace Ovrsee.Tests.Twilio;

public class TwiMLTests
{
    private const string Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    [Fact]
    public void Empty_response_has_declaration_and_root()
    {
        Assert.Equal(Declaration + "<Response />", new VoiceResponse().ToXml());
    }

    [Fact]
    public void Connect_stream_with_parameters()
    {
        var response = new VoiceResponse()
            .Say("Connecting you now.", voice: "Polly.Joanna", language: "en-US")
            .Connect(new Connect { Action = "https://api.example.com/twilio/voice/after-stream", Method = "POST" }
                .Stream(new MediaStream("wss://api.example.com/twilio/media")
                    {
                        Name = "receptionist",
                        StatusCallback = "https://api.example.com/twilio/stream-status",
                    }
                    .Parameter("businessId", "b_42")
                    .Parameter("callerName", "Zoë")));

        Assert.Equal(
            Declaration +
            "<Response>" +
            "<Say voice=\"Polly.Joanna\" language=\"en-US\">Connecting you now.</Say>" +
            "<Connect action=\"https://api.example.com/twilio/voice/after-stream\" method=\"POST\">" +
            "<Stream url=\"wss://api.example.com/twilio/media\" name=\"receptionist\" statusCallback=\"https://api.example.com/twilio/stream-status\">" +
            "<Parameter name=\"businessId\" value=\"b_42\" />" +
            "<Parameter name=\"callerName\" value=\"Zoë\" />" +
            "</Stream>" +
            "</Connect>" +
            "</Response>",
            response.ToXml());
    }

    [Fact]
    public void Special_characters_are_escaped_in_text_and_attributes()
    {
        const string nasty = "Tom & Jerry's <\"shop\"> 5 > 3";
        var response = new VoiceResponse()
            .Say(nasty, voice: nasty)
            .Redirect("https://example.com/next?a=1&b=2", method: "GET")
            .Connect(new Connect().Stream(new MediaStream("wss://example.com/m?x=1&y=2").Parameter("q", nasty)));

        Assert.Equal(
            Declaration +
            "<Response>" +
            "<Say voice=\"Tom &amp; Jerry's &lt;&quot;shop&quot;&gt; 5 &gt; 3\">Tom &amp; Jerry's &lt;\"shop\"&gt; 5 &gt; 3</Say>" +
            "<Redirect method=\"GET\">https://example.com/next?a=1&amp;b=2</Redirect>" +
            "<Connect><Stream url=\"wss://example.com/m?x=1&amp;y=2\">" +
            "<Parameter name=\"q\" value=\"Tom &amp; Jerry's &lt;&quot;shop&quot;&gt; 5 &gt; 3\" />" +
            "</Stream></Connect>" +
            "</Response>",
            response.ToXml());

        // And it round-trips through a real XML parser to the original text.
        var parsed = XDocument.Parse(response.ToXml());
        Assert.Equal(nasty, parsed.Root!.Element("Say")!.Value);
        Assert.Equal(nasty, parsed.Root!.Element("Say")!.Attribute("voice")!.Value);
    }

    [Fact]
    public void Record_with_callbacks_uses_twilio_attribute_names()
    {
        var response = new VoiceResponse()
            .Say("Please leave a message after the beep.")
            .Record(new Record
            {
                Action = "/twilio/voicemail/done",
                Method = "POST",
                Timeout = 5,
                FinishOnKey = "#",
                MaxLength = 120,
                PlayBeep = true,
                RecordingStatusCallback = "/twilio/recording-status",
                RecordingStatusCallbackMethod = "POST",
                RecordingStatusCallbackEvent = "in-progress completed absent",
                Transcribe = false,
                TranscribeCallback = "/twilio/transcription",
            })
            .Pause(length: 2)
            .Hangup();

        Assert.Equal(
            Declaration +
            "<Response>" +
            "<Say>Please leave a message after the beep.</Say>" +
            "<Record action=\"/twilio/voicemail/done\" method=\"POST\" timeout=\"5\" finishOnKey=\"#\" maxLength=\"120\" playBeep=\"true\"" +
            " recordingStatusCallback=\"/twilio/recording-status\" recordingStatusCallbackMethod=\"POST\"" +
            " recordingStatusCallbackEvent=\"in-progress completed absent\" transcribe=\"false\" transcribeCallback=\"/twilio/transcription\" />" +
            "<Pause length=\"2\" />" +
            "<Hangup />" +
            "</Response>",
            response.ToXml());
    }

    [Fact]
    public void Unset_attributes_are_omitted()
    {
        var xml = new VoiceResponse().Record(new Record()).Pause().Redirect("/again").ToXml();
        Assert.Equal(Declaration + "<Response><Record /><Pause /><Redirect>/again</Redirect></Response>", xml);
    }

    [Fact]
    public void Characters_xml_cannot_carry_are_dropped_not_thrown()
    {
        var xml = new VoiceResponse().Say("Hi\u0001 there\u0007 😀").ToXml();
        Assert.Equal(Declaration + "<Response><Say>Hi there 😀</Say></Response>", xml);
    }

    [Fact]
    public void Bytes_are_utf8_without_bom()
    {
        var bytes = new VoiceResponse().Say("Zoë").ToUtf8Bytes();
        Assert.Equal((byte)'<', bytes[0]);
        Assert.Equal(Declaration + "<Response><Say>Zoë</Say></Response>", Encoding.UTF8.GetString(bytes));
    }
}
