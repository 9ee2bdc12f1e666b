using Ovrsee.Twilio;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>Posts webhooks the way Twilio does: form-encoded, signed with the Auth Token over the full URL.</summary>
public sealed class TwilioWebhookClient(Uri baseAddress, string authToken) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public Uri BaseAddress => baseAddress;

    public Task<HttpResponseMessage> PostAsync(string pathAndQuery, IEnumerable<KeyValuePair<string, string>> form, string? signatureOverride = null, string? idempotencyToken = null)
    {
        var pairs = form.ToList();
        var url = new Uri(baseAddress, pathAndQuery).ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(pairs) };
        request.Headers.TryAddWithoutValidation("X-Twilio-Signature", signatureOverride ?? TwilioSignature.Compute(authToken, url, pairs));
        if (idempotencyToken is not null)
        {
            request.Headers.TryAddWithoutValidation("I-Twilio-Idempotency-Token", idempotencyToken);
        }
        return _http.SendAsync(request);
    }

    public HttpClient Http => _http;

    public void Dispose() => _http.Dispose();
}

/// <summary>Twilio-shaped callback parameters.</summary>
public static class TwilioForms
{
    public const string AccountSid = TestServiceEnvironment.AccountSid;

    public static Dictionary<string, string> IncomingCall(string callSid, string from, string to) => new()
    {
        ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid, ["CallStatus"] = "ringing",
        ["Called"] = to, ["Caller"] = from, ["Direction"] = "inbound", ["From"] = from, ["To"] = to,
        ["FromCity"] = "SAN FRANCISCO", ["FromState"] = "CA", ["FromCountry"] = "US",
    };

    public static Dictionary<string, string> Status(string callSid, string from, string to, string status, int sequence, DateTimeOffset at, int? duration = null)
    {
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid, ["CallStatus"] = status,
            ["Direction"] = "inbound", ["From"] = from, ["To"] = to, ["SequenceNumber"] = sequence.ToString(),
            ["Timestamp"] = at.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture),
            ["CallbackSource"] = "call-progress-events",
        };
        if (duration is not null)
        {
            form["CallDuration"] = duration.Value.ToString();
            form["Duration"] = ((duration.Value + 59) / 60).ToString();
        }
        return form;
    }

    public static Dictionary<string, string> Recording(string callSid, string recordingSid, string status = "completed", int duration = 14) => new()
    {
        ["AccountSid"] = AccountSid, ["CallSid"] = callSid, ["RecordingSid"] = recordingSid,
        ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Recordings/{recordingSid}",
        ["RecordingStatus"] = status, ["RecordingDuration"] = duration.ToString(), ["RecordingChannels"] = "1",
        ["RecordingSource"] = "RecordVerb", ["RecordingStartTime"] = "Tue, 25 Nov 2026 12:00:00 +0000",
    };

    public static Dictionary<string, string> Transcription(string callSid, string recordingSid, string text, string status = "completed") => new()
    {
        ["AccountSid"] = AccountSid, ["CallSid"] = callSid, ["RecordingSid"] = recordingSid,
        ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Recordings/{recordingSid}",
        ["TranscriptionSid"] = "TR" + Guid.NewGuid().ToString("N"), ["TranscriptionText"] = text,
        ["TranscriptionStatus"] = status, ["TranscriptionType"] = "fast",
        ["TranscriptionUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Transcriptions/TR00",
        ["url"] = "https://example.invalid/ignored",
    };

    public static string NewRecordingSid() => "RE" + Guid.NewGuid().ToString("N");
}
