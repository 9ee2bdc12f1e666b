using Ovrsee.Twilio.TwiML;

namespace Ovrsee.Twilio.AspNetCore;

public static class TwiMLResultExtensions
{
    /// <summary><c>return new VoiceResponse().Say("Hi").ToResult();</c> from a minimal API handler.</summary>
    public static TwiMLResult ToResult(this VoiceResponse twiml) => new(twiml);
}
