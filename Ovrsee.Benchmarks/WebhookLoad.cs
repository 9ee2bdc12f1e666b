using System.Diagnostics;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio;

namespace Ovrsee.Benchmarks;

public sealed record LoadResult(int Calls, int VoicemailCalls, int FailedCalls, TimeSpan Elapsed);

/// <summary>
/// Workers each play calls back to back for the given time: incoming-call, ringing, completed,
/// and for a share of calls a voicemail recording. Unique CallSids carry a run prefix so the
/// end state can be checked exactly.
/// </summary>
public sealed class WebhookLoad(HttpClient http, Uri target, string authToken, string to, string runPrefix, LatencyRecorder recorder)
{
    private long _sequence;

    public async Task<LoadResult> RunAsync(int concurrency, TimeSpan duration, double voicemailShare)
    {
        var calls = 0; var voicemails = 0; var failed = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (stopwatch.Elapsed < duration)
            {
                var number = Interlocked.Increment(ref _sequence);
                var callSid = $"CA{runPrefix}{number:x24}";
                var from = "+1415555" + random.Next(1000, 9999);
                var leavesVoicemail = random.NextDouble() < voicemailShare;
                var ok = await PostAsync("incoming-call", WebhookForms.IncomingCall(callSid, from, to))
                       & await PostAsync("call-status", WebhookForms.Status(callSid, from, to, "ringing", 1))
                       & (!leavesVoicemail || await PostAsync("voicemail-recorded", WebhookForms.Recording(callSid, $"RE{runPrefix}{number:x24}")))
                       & await PostAsync("call-status", WebhookForms.Status(callSid, from, to, "completed", 3, 20 + random.Next(60)));
                Interlocked.Increment(ref calls);
                if (leavesVoicemail) Interlocked.Increment(ref voicemails);
                if (!ok) Interlocked.Increment(ref failed);
            }
        })).ToList();
        await Task.WhenAll(workers);
        return new LoadResult(calls, voicemails, failed, stopwatch.Elapsed);
    }

    private async Task<bool> PostAsync(string endpoint, Dictionary<string, string> form)
    {
        var url = new Uri(target, WebhookRoutes.Webhooks + "/" + endpoint).ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation(TwilioSignature.HeaderName, TwilioSignature.Compute(authToken, url, form));
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            recorder.Record(endpoint, Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.IsSuccessStatusCode);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            recorder.Record(endpoint, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ok: false);
            return false;
        }
    }
}
