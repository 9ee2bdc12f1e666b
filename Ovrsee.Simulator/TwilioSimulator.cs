using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio;

namespace Ovrsee.Simulator;

public sealed record SimulatorOptions
{
    /// <summary>Where requests are actually sent (the local WebhookApi).</summary>
    public required Uri TargetBaseUrl { get; init; }

    /// <summary>The URL Twilio would call (a tunnel's); requests are signed for it. Defaults to the target.</summary>
    public Uri? PublicBaseUrl { get; init; }

    public required string AuthToken { get; init; }
    public string AccountSid { get; init; } = "AC00000000000000000000000000000000";
    public ChaosOptions Chaos { get; init; } = ChaosOptions.None;

    /// <summary>Pause between the steps of a call, so a watching person sees it unfold.</summary>
    public TimeSpan StepDelay { get; init; } = TimeSpan.Zero;

    public int MaxAttempts { get; init; } = 8;

    /// <summary>How long a simulated caller talks on a media stream before it ends (50 frames a second).</summary>
    public TimeSpan StreamDuration { get; init; } = TimeSpan.FromSeconds(2);
    public int? Seed { get; init; }

    /// <summary>
    /// Serves the recordings the simulator announces (without it RecordingUrl points at api.twilio.com,
    /// as in production) and takes the calls' REST updates, so a transfer from the agent is followed.
    /// </summary>
    public RecordingServer? Recordings { get; init; }
}

/// <summary>
/// Plays Twilio's part in a call: signs every request as Twilio does, asks for TwiML, follows
/// it (Record → recording and transcription callbacks; Connect/Stream → the stream ends, then
/// the Connect action, or the TwiML of a REST update that redirected the call (a transfer); Dial → the person answers or not, then the Dial action), and sends the status callbacks — with the chaos asked for.
/// </summary>
public sealed class TwilioSimulator(HttpClient http, SimulatorOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : Random.Shared;
    private readonly object _randomLock = new();

    private Uri PublicBase => options.PublicBaseUrl ?? options.TargetBaseUrl;
    private ChaosOptions Chaos => options.Chaos;

    public async Task<CallOutcome> PlaceCallAsync(SimulatedCall call, CancellationToken cancellationToken = default)
    {
        var counters = new Counters();
        // The simulated call is compressed in time: it "started" as long ago as it lasts, so its
        // end (startedAt + 2 s + TalkSeconds) is now, never in the future.
        var startedAt = DateTimeOffset.UtcNow.AddSeconds(-(2 + call.TalkSeconds));
        // Callbacks go out as they happen; with Reorder they are held and sent shuffled at the end.
        var callbacks = new CallbackQueue(this, counters, cancellationToken);
        var verbs = new List<string>();
        string? recordingSid = null;

        await callbacks.AddAsync((Url(WebhookRoutes.CallStatus), Status(call, "initiated", 0, startedAt)));
        var twiml = await SendForTwiMLAsync(Url(WebhookRoutes.IncomingCall), CallForm(call, "ringing"), counters, cancellationToken);
        await callbacks.AddAsync((Url(WebhookRoutes.CallStatus), Status(call, "ringing", 1, startedAt.AddSeconds(1))));
        var answered = false;

        // Follow the TwiML the way Twilio executes it, until something ends the call.
        var dials = 0;
        // Enough hops for a sequential forward through every target, then voicemail.
        for (var hops = 0; twiml is not null && hops < 16; hops++)
        {
            XDocument? next = null;
            foreach (var verb in twiml.Root?.Elements() ?? [])
            {
                verbs.Add(verb.Name.LocalName);
                if (!answered && verb.Name.LocalName is "Say" or "Play" or "Record" or "Connect" or "Pause" or "Dial")
                {
                    answered = true;
                    await callbacks.AddAsync((Url(WebhookRoutes.CallStatus), Status(call, "in-progress", 2, startedAt.AddSeconds(2))));
                }
                await StepAsync(cancellationToken);

                if (verb.Name.LocalName == "Record")
                {
                    recordingSid = "RE" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
                    var recordingCallback = verb.Attribute("recordingStatusCallback")?.Value;
                    if (call.LeavesVoicemail)
                    {
                        var recording = RecordingForm(call, recordingSid, "completed", Math.Max(1, call.TalkSeconds - 5));
                        if (verb.Attribute("action")?.Value is { } action)
                        {
                            next = await SendForTwiMLAsync(action, new Dictionary<string, string>(CallForm(call, "in-progress"))
                            {
                                ["RecordingSid"] = recordingSid, ["RecordingUrl"] = recording["RecordingUrl"],
                                ["RecordingDuration"] = recording["RecordingDuration"], ["Digits"] = "#",
                            }, counters, cancellationToken);
                        }
                        if (recordingCallback is not null)
                        {
                            await callbacks.AddAsync((recordingCallback, recording));
                        }
                        if (verb.Attribute("transcribe")?.Value == "true" && verb.Attribute("transcribeCallback")?.Value is { } transcribeCallback)
                        {
                            await callbacks.AddAsync((transcribeCallback, TranscriptionForm(call, recordingSid)));
                        }
                    }
                    else
                    {
                        // The caller hangs up at the beep: Twilio reports the recording as absent.
                        if (recordingCallback is not null)
                        {
                            await callbacks.AddAsync((recordingCallback, RecordingForm(call, recordingSid, "absent", 0)));
                        }
                        recordingSid = null;
                        next = null;
                    }
                    break;
                }
                if (verb.Name.LocalName == "Connect")
                {
                    if (verb.Element("Stream") is { } stream)
                    {
                        verbs.Add(await StreamAsync(call, stream, cancellationToken));
                    }
                    if (options.Recordings?.UpdateOf(call.CallSid) is { IsCompletedSuccessfully: true } updated)
                    {
                        // The call was redirected (a transfer): Twilio runs the new TwiML and never asks the Connect action.
                        var update = updated.Result;
                        verbs.Add("Redirected");
                        next = update.Twiml is { } redirected
                            ? XDocument.Parse(redirected)
                            : await SendForTwiMLAsync(update.Url!, CallForm(call, "in-progress"), counters, cancellationToken);
                    }
                    // When the stream ends Twilio asks the Connect action what to do next.
                    else if (verb.Attribute("action")?.Value is { } action)
                    {
                        next = await SendForTwiMLAsync(action, CallForm(call, "in-progress"), counters, cancellationToken);
                    }
                    break;
                }
                if (verb.Name.LocalName == "Dial")
                {
                    // The person rings (and answers, or not); then Twilio asks the Dial's action what next.
                    var dialStatus = call.DialOutcome(dials++);
                    verbs.Add($"Dial({string.Join(",", verb.Elements("Number").Select(n => n.Value.Trim()))}: {dialStatus})");
                    if (verb.Attribute("action")?.Value is { } action)
                    {
                        var form = new Dictionary<string, string>(CallForm(call, "in-progress")) { ["DialCallStatus"] = dialStatus };
                        if (dialStatus == "completed")
                        {
                            form["DialCallSid"] = "CA" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
                            form["DialCallDuration"] = call.TalkSeconds.ToString(CultureInfo.InvariantCulture);
                        }
                        next = await SendForTwiMLAsync(action, form, counters, cancellationToken);
                    }
                    break;
                }
                if (verb.Name.LocalName == "Redirect")
                {
                    next = await SendForTwiMLAsync(verb.Value.Trim(), CallForm(call, "in-progress"), counters, cancellationToken);
                    break;
                }
                if (verb.Name.LocalName == "Hangup")
                {
                    break;
                }
            }
            twiml = next;
        }

        var duration = answered ? call.TalkSeconds : 0;
        await callbacks.AddAsync((Url(WebhookRoutes.CallStatus), Status(call, "completed", 3, startedAt.AddSeconds(2 + duration), duration)));

        await callbacks.FlushAsync();
        return new CallOutcome(call, "completed", duration, recordingSid, verbs, counters.Requests, counters.Retries);
    }

    /// <summary>
    /// Opens the Media Stream the TwiML asked for, as Twilio does: connected, start (with the
    /// TwiML's Parameters), caller audio at real-time pace, a DTMF digit, stop. Whatever the agent
    /// sends back is counted. A refused stream simply ends, as it would for Twilio; so does one whose
    /// call is redirected through the REST API meanwhile (Twilio stops it: stop, then the new TwiML).
    /// </summary>
    private async Task<string> StreamAsync(SimulatedCall call, XElement stream, CancellationToken cancellationToken)
    {
        var signedUrl = stream.Attribute("url")?.Value;
        if (signedUrl is null)
        {
            return "Stream(no url)";
        }
        var signed = new Uri(signedUrl);
        // Dialled at the target (the TwiML names the public base), as a WebSocket URL: the same rule the WebhookApi signs with.
        var target = PublicUrlRules.ToWebSocket(new UriBuilder(options.TargetBaseUrl) { Path = signed.AbsolutePath, Query = signed.Query.TrimStart('?') }.Uri.ToString());
        var parameters = stream.Elements("Parameter").ToDictionary(p => p.Attribute("name")?.Value ?? "", p => p.Attribute("value")?.Value ?? "");

        var (client, status) = await TwilioMediaStreamClient.TryConnectAsync(
            target, TwilioMediaStreamClient.Sign(options.AuthToken, signedUrl), options.AccountSid);
        if (client is null)
        {
            return $"Stream(refused {(int)status})";
        }
        await using (client)
        {
            string? pressed = null;
            var hungUp = false;
            Task? redirect = options.Recordings?.UpdateOf(call.CallSid);
            bool Redirected() => redirect?.IsCompleted == true;
            try
            {
                await client.SendConnectedAsync();
                await client.SendStartAsync(call.CallSid, parameters);
                var silence = Enumerable.Repeat((byte)0xFF, 160).ToArray();
                var frames = (int)(options.StreamDuration.TotalMilliseconds / 20);
                using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
                for (var i = 0; i < frames && !client.Closed.IsCompleted && !Redirected(); i++)
                {
                    await client.SendMediaAsync(silence);
                    if (i == frames / 2)
                    {
                        // "Press 1 to leave a message", or 0 for a person.
                        await client.SendDtmfAsync(call.PressDuringAgent);
                        pressed = call.PressDuringAgent;
                    }
                    await pace.WaitForNextTickAsync(cancellationToken);
                }
                if (!client.Closed.IsCompleted)
                {
                    // The caller hangs up, or (redirected) Twilio leaves the stream for the new TwiML.
                    await client.SendStopAsync(call.CallSid);
                    hungUp = !Redirected();
                }
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                // The server ended the stream (the agent is done, or asked for voicemail): Twilio stops sending too.
            }
            try
            {
                await client.WaitForCloseAsync(TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException) { }
            int agentFrames;
            lock (client.Received) agentFrames = client.Received.Count(m => m.GetProperty("event").GetString() == "media");
            // The path as the caller lived it: what they heard, what they pressed, who ended the stream.
            return $"Stream(sent {client.MediaFramesSent}, agent {agentFrames}" +
                   (pressed is null ? "" : $", pressed {pressed}") +
                   (hungUp ? ", caller hung up)" : Redirected() ? ", redirected)" : ", agent ended it)");
        }
    }

    private async Task DeliverAsync(string url, Dictionary<string, string> form, Counters counters, CancellationToken cancellationToken)
    {
        await SendAsync(url, form, counters, cancellationToken);
        if (options.Chaos.Duplicate && Chance())
        {
            // A second delivery of the same event, as Twilio occasionally makes.
            await SendAsync(url, form, counters, cancellationToken);
        }
    }

    private sealed class CallbackQueue(TwilioSimulator simulator, Counters counters, CancellationToken cancellationToken)
    {
        private readonly List<(string Url, Dictionary<string, string> Form)> _held = [];

        public async Task AddAsync((string Url, Dictionary<string, string> Form) callback)
        {
            if (simulator.Chaos.Reorder)
            {
                _held.Add(callback);
                return;
            }
            await simulator.DeliverAsync(callback.Url, callback.Form, counters, cancellationToken);
        }

        public async Task FlushAsync()
        {
            lock (simulator._randomLock) simulator._random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_held));
            foreach (var (url, form) in _held)
            {
                await simulator.StepAsync(cancellationToken);
                await simulator.DeliverAsync(url, form, counters, cancellationToken);
            }
        }
    }

    private async Task<XDocument> SendForTwiMLAsync(string url, Dictionary<string, string> form, Counters counters, CancellationToken cancellationToken)
    {
        var body = await SendAsync(url, form, counters, cancellationToken);
        return XDocument.Parse(body);
    }

    /// <summary>One logical Twilio request, with Twilio's retries (same idempotency token) and the chaos asked for.</summary>
    private async Task<string> SendAsync(string signedUrl, Dictionary<string, string> form, Counters counters, CancellationToken cancellationToken)
    {
        var idempotencyToken = Guid.NewGuid().ToString("N");
        if (options.Chaos.Delay && Chance())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(NextDouble() * options.Chaos.MaxDelay.TotalMilliseconds), cancellationToken);
        }
        if (options.Chaos.DropConnection && Chance())
        {
            // Cut the connection before the answer: the server may or may not have stored it.
            using var cut = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cut.CancelAfter(TimeSpan.FromMilliseconds(1 + NextDouble() * 5));
            try
            {
                await PostOnceAsync(signedUrl, form, idempotencyToken, counters, cut.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            catch (HttpRequestException) { }
            counters.AddRetry();
        }

        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? response = null;
            try
            {
                response = await PostOnceAsync(signedUrl, form, idempotencyToken, counters, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    if (options.Chaos.Retry && Chance())
                    {
                        // Twilio did not see our answer in time and retries the same request.
                        counters.AddRetry();
                        (await PostOnceAsync(signedUrl, form, idempotencyToken, counters, cancellationToken)).Dispose();
                    }
                    return body;
                }
                if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                {
                    throw new SimulatorException($"{signedUrl} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (HttpRequestException) when (attempt < options.MaxAttempts) { }
            finally
            {
                response?.Dispose();
            }

            if (attempt >= options.MaxAttempts)
            {
                throw new SimulatorException($"{signedUrl} still failing after {attempt} attempts.");
            }
            counters.AddRetry();
            var wait = response?.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(100 * Math.Pow(2, attempt));
            await Task.Delay(wait, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> PostOnceAsync(string signedUrl, Dictionary<string, string> form, string idempotencyToken, Counters counters, CancellationToken cancellationToken)
    {
        var signed = new Uri(signedUrl);
        var target = new Uri(options.TargetBaseUrl, signed.PathAndQuery);
        var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new FormUrlEncodedContent(form) };
        request.Headers.TryAddWithoutValidation(TwilioSignature.HeaderName, TwilioSignature.Compute(options.AuthToken, signedUrl, form));
        request.Headers.TryAddWithoutValidation("I-Twilio-Idempotency-Token", idempotencyToken);
        request.Headers.TryAddWithoutValidation("User-Agent", "TwilioProxy/1.1 (Ovrsee.Simulator)");
        counters.AddRequest();
        return await http.SendAsync(request, cancellationToken);
    }

    private string Url(string path) => new Uri(PublicBase, path).ToString();

    private Dictionary<string, string> CallForm(SimulatedCall call, string status) => new()
    {
        ["AccountSid"] = options.AccountSid, ["ApiVersion"] = "2010-04-01", ["CallSid"] = call.CallSid, ["CallStatus"] = status,
        ["Called"] = call.To, ["Caller"] = call.From, ["Direction"] = "inbound", ["From"] = call.From, ["To"] = call.To,
        ["CallerCountry"] = "US", ["CalledCountry"] = "US",
    };

    private Dictionary<string, string> Status(SimulatedCall call, string status, int sequence, DateTimeOffset at, int? duration = null)
    {
        var form = CallForm(call, status);
        form["SequenceNumber"] = sequence.ToString(CultureInfo.InvariantCulture);
        form["Timestamp"] = at.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        form["CallbackSource"] = "call-progress-events";
        if (duration is not null)
        {
            form["CallDuration"] = duration.Value.ToString(CultureInfo.InvariantCulture);
            form["Duration"] = ((duration.Value + 59) / 60).ToString(CultureInfo.InvariantCulture);
        }
        return form;
    }

    /// <summary>Where the recording's audio is: our recording server when there is one (announced, so it waits for the download), else Twilio.</summary>
    private string RecordingUrl(string recordingSid, bool announce)
    {
        var path = $"2010-04-01/Accounts/{options.AccountSid}/Recordings/{recordingSid}";
        if (options.Recordings is not { } recordings)
        {
            return "https://api.twilio.com/" + path;
        }
        return announce ? recordings.Announce(options.AccountSid, recordingSid) : new Uri(recordings.BaseUrl, path).ToString();
    }

    private Dictionary<string, string> RecordingForm(SimulatedCall call, string recordingSid, string status, int duration) => new()
    {
        ["AccountSid"] = options.AccountSid, ["CallSid"] = call.CallSid, ["RecordingSid"] = recordingSid,
        ["RecordingUrl"] = RecordingUrl(recordingSid, announce: status == "completed"),
        ["RecordingStatus"] = status, ["RecordingDuration"] = duration.ToString(CultureInfo.InvariantCulture),
        ["RecordingChannels"] = "1", ["RecordingSource"] = "RecordVerb",
        ["RecordingStartTime"] = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture),
    };

    private Dictionary<string, string> TranscriptionForm(SimulatedCall call, string recordingSid) => new()
    {
        ["AccountSid"] = options.AccountSid, ["CallSid"] = call.CallSid, ["RecordingSid"] = recordingSid,
        ["RecordingUrl"] = RecordingUrl(recordingSid, announce: false),
        ["TranscriptionSid"] = "TR" + recordingSid[2..], ["TranscriptionStatus"] = "completed", ["TranscriptionType"] = "fast",
        ["TranscriptionText"] = $"Hi, this is a simulated caller from {call.From}. Please call me back about my appointment, it's fairly urgent.",
        ["TranscriptionUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{options.AccountSid}/Transcriptions/TR{recordingSid[2..]}",
    };

    private Task StepAsync(CancellationToken cancellationToken) =>
        options.StepDelay > TimeSpan.Zero ? Task.Delay(options.StepDelay, cancellationToken) : Task.CompletedTask;

    private bool Chance()
    {
        lock (_randomLock) return _random.NextDouble() < options.Chaos.Probability;
    }

    private double NextDouble()
    {
        lock (_randomLock) return _random.NextDouble();
    }

    private sealed class Counters
    {
        private int _requests, _retries;
        public int Requests => _requests;
        public int Retries => _retries;
        public void AddRequest() => Interlocked.Increment(ref _requests);
        public void AddRetry() => Interlocked.Increment(ref _retries);
    }
}

public sealed class SimulatorException(string message) : Exception(message);
