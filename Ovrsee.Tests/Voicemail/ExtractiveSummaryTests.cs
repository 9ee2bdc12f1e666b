using Ovrsee.WebhookApi.Voicemail;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.Tests.Voicemail;

public class ExtractiveSummaryTests
{
    [Theory]
    [InlineData("Call me back at 415-555-0123 please.", "+14155550123")]
    [InlineData("My number is (415) 555 0123.", "+14155550123")]
    [InlineData("Reach me on 1.415.555.0123 today", "+14155550123")]
    [InlineData("I'm in London, +44 20 7946 0958.", "+442079460958")]
    [InlineData("Order 12345 is late.", null)]
    [InlineData("No number here.", null)]
    public void The_first_phone_number_said_is_the_callback_number(string text, string? expected)
    {
        Assert.Equal(expected, ExtractiveSummary.FirstPhoneNumber(text));
    }

    [Theory]
    [InlineData("This is an emergency, the pipe burst.", "urgent")]
    [InlineData("Please call me back ASAP.", "urgent")]
    [InlineData("It's not urgent, call me whenever.", "low")]
    [InlineData("No rush on this one.", "low")]
    [InlineData("I need an answer today if possible.", "high")]
    [InlineData("Just calling about my appointment next week.", "normal")]
    [InlineData("The soonest slot would be nice.", "normal")]
    public void Urgency_comes_from_keywords(string text, string expected)
    {
        Assert.Equal(expected, ExtractiveSummary.Urgency(text));
    }

    [Theory]
    [InlineData("Hi, this is Dana. Please call.", "Dana")]
    [InlineData("Hello my name is Ana María Gómez and I need help.", "Ana María")]
    [InlineData("Hi it's urgent, call back.", null)]
    public void A_name_after_an_introduction_is_the_caller_name(string text, string? expected)
    {
        Assert.Equal(expected, ExtractiveSummary.CallerName(text));
    }

    [Fact]
    public void The_summary_is_the_opening_sentences_and_is_marked_extractive()
    {
        var summary = ExtractiveSummary.Create("Hello.   This is Sam about the invoice! It has the wrong address. Thanks.", "+14155550100");

        Assert.Equal("Hello. This is Sam about the invoice!", summary.Summary);
        Assert.Equal(VoicemailSummary.Extractive, summary.Source);
        Assert.Null(summary.Model);
        Assert.Equal("+14155550100", summary.CallerNumber);
        Assert.Contains("\"source\":\"extractive\"", summary.ToJson());
    }

    [Fact]
    public void A_long_monologue_is_cut_short()
    {
        var summary = ExtractiveSummary.Create(string.Join(' ', Enumerable.Repeat("word", 200)), null);

        Assert.True(summary.Summary.Length <= 320);
        Assert.EndsWith("…", summary.Summary);
    }
}

public class RecordingHostTests
{
    [Theory]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav", true)]
    [InlineData("http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav", false)]
    [InlineData("https://api.twilio.com.evil.example/Recordings/RE1.wav", false)]
    [InlineData("https://user:pass@api.twilio.com/Recordings/RE1.wav", false)]
    [InlineData("https://api.dublin.ie1.twilio.com/Recordings/RE1.wav", true)]
    [InlineData("http://127.0.0.1:5000/Recordings/RE1.wav", true)]
    [InlineData("http://localhost:5000/Recordings/RE1.wav", false)]
    [InlineData("https://example.com/Recordings/RE1.wav", false)]
    public void Credentials_go_only_to_Twilio_and_configured_hosts(string url, bool allowed)
    {
        var options = new RecordingsOptions { AllowedHosts = ["api.dublin.ie1.twilio.com", "127.0.0.1"] };

        Assert.Equal(allowed, TwilioRecordingClient.IsAllowed(new Uri(url), options));
    }

    [Theory]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav")]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.mp3")]
    public void The_audio_is_fetched_as_wav_from_the_RecordingUrl(string recordingUrl, string expected)
    {
        Assert.Equal(expected, TwilioRecordingClient.MediaUri(recordingUrl).ToString());
    }
}
