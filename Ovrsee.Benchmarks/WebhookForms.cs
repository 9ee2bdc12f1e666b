using System.Globalization;

namespace Ovrsee.Benchmarks;

/// <summary>Realistic Twilio bodies (the parameters Twilio actually sends for a voice call).</summary>
public static class WebhookForms
{
    public const string AccountSid = "AC00000000000000000000000000000000";

    public static Dictionary<string, string> IncomingCall(string callSid, string from, string to) => new()
    {
        ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid, ["CallStatus"] = "ringing",
        ["Called"] = to, ["CalledCity"] = "", ["CalledCountry"] = "US", ["CalledState"] = "", ["CalledZip"] = "",
        ["Caller"] = from, ["CallerCity"] = "SAN FRANCISCO", ["CallerCountry"] = "US", ["CallerState"] = "CA", ["CallerZip"] = "94103",
        ["Direction"] = "inbound", ["From"] = from, ["FromCity"] = "SAN FRANCISCO", ["FromCountry"] = "US", ["FromState"] = "CA",
        ["FromZip"] = "94103", ["To"] = to, ["ToCity"] = "", ["ToCountry"] = "US", ["ToState"] = "", ["ToZip"] = "",
        ["CallToken"] = "%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9%22%7D", ["StirVerstat"] = "TN-Validation-Passed-A",
    };

    public static Dictionary<string, string> Status(string callSid, string from, string to, string status, int sequence, int? duration = null)
    {
        var form = IncomingCall(callSid, from, to);
        form["CallStatus"] = status;
        form["SequenceNumber"] = sequence.ToString(CultureInfo.InvariantCulture);
        form["Timestamp"] = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        form["CallbackSource"] = "call-progress-events";
        if (duration is not null)
        {
            form["CallDuration"] = duration.Value.ToString(CultureInfo.InvariantCulture);
            form["Duration"] = "1";
        }
        return form;
    }

    public static Dictionary<string, string> Recording(string callSid, string recordingSid) => new()
    {
        ["AccountSid"] = AccountSid, ["CallSid"] = callSid, ["RecordingSid"] = recordingSid,
        ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Recordings/{recordingSid}",
        ["RecordingStatus"] = "completed", ["RecordingDuration"] = "17", ["RecordingChannels"] = "1",
        ["RecordingSource"] = "RecordVerb", ["RecordingStartTime"] = "Tue, 25 Nov 2026 12:00:00 +0000",
    };
}
