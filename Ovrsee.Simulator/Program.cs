using Ovrsee.Simulator;

// dotnet run --project Ovrsee.Simulator -- [--to +15005550006] [--calls 1] [--concurrency 1] [--voicemail 1.0]
//     [--chaos duplicate,reorder,retry,delay,drop|all] [--url http://127.0.0.1:5180] [--public-url https://…]
//     [--token <auth token>] [--step-ms 300] [--seed N] [--recording-wait-seconds 60]
//     [--dial no-answer,completed]   (what each person a forwarding Dial rings does, in turn)
//     [--press 0]                    (the key pressed during the agent: 1 leaves a message, 0 asks for a person)
//     [--api-port 5199]              (our Twilio REST corner on a fixed port: the WebhookApi's Twilio:BaseUrl
//                                     = http://127.0.0.1:5199 lets the simulator follow a transfer)
//   or: dotnet run --project Ovrsee.Simulator -- receive-webhooks --port 5299 --secret whsec_...
//     (a webhook endpoint that verifies Ovrsee's signatures and prints each event)
if (args.Length > 0 && args[0] == "receive-webhooks")
{
    return await WebhookReceiverServer.RunAsync(args[1..]);
}

var settings = SimulatorCommandLine.Parse(args);
if (settings is null)
{
    return 2;
}

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
// Against a local system the simulator is Twilio's media host too (the voicemails it leaves can be
// fetched and played) and takes call updates (an agent's transfer) when the WebhookApi's Twilio:BaseUrl points here.
await using var recordings = settings.Options.TargetBaseUrl.IsLoopback ? RecordingServer.Start(settings.ApiPort) : null;
var simulator = new TwilioSimulator(http, settings.Options with { Recordings = recordings });
var random = settings.Options.Seed is { } seed ? new Random(seed) : new Random();
var calls = Enumerable.Range(0, settings.Calls)
    .Select(_ => SimulatedCall.Random(settings.To, random.NextDouble() < settings.VoicemailShare, random) with
    {
        DialOutcomes = settings.DialOutcomes,
        PressDuringAgent = settings.Press,
    })
    .ToList();

Console.WriteLine($"Placing {calls.Count} call(s) to {settings.To} via {settings.Options.TargetBaseUrl} (chaos: {settings.ChaosText})");
var outcomes = new List<CallOutcome>();
var failures = 0;
await Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency }, async (call, ct) =>
{
    try
    {
        var outcome = await simulator.PlaceCallAsync(call, ct);
        lock (outcomes) outcomes.Add(outcome);
        Console.WriteLine($"  {call.CallSid} {call.From} → {string.Join(" → ", outcome.TwiMLVerbs)}; {outcome.FinalStatus}, {outcome.DurationSeconds}s" +
                          (outcome.RecordingSid is null ? "" : $", voicemail {outcome.RecordingSid}") +
                          $" ({outcome.RequestsSent} requests, {outcome.Retries} retries)");
    }
    catch (SimulatorException ex)
    {
        Interlocked.Increment(ref failures);
        Console.Error.WriteLine($"  {call.CallSid} FAILED: {ex.Message}");
    }
});

Console.WriteLine($"Done: {outcomes.Count} placed, {outcomes.Count(o => o.RecordingSid is not null)} left voicemail, {failures} failed.");
if (recordings is { Announced: > 0 })
{
    // Twilio keeps a recording for the WebhookApi to download; so do we, until it has.
    Console.WriteLine($"Serving {recordings.Announced} recording(s) at {recordings.BaseUrl} until the WebhookApi has fetched them (at most {settings.RecordingWait.TotalSeconds:0} s)...");
    var fetched = await recordings.WaitForDownloadsAsync(settings.RecordingWait);
    Console.WriteLine(fetched == recordings.Announced
        ? $"All {fetched} recording(s) fetched: the transcript and summary follow in the call detail (GET /api/aloha/calls/{{id}})."
        : $"Only {fetched} of {recordings.Announced} recording(s) were fetched. Is the WebhookApi's job runner on (Jobs:Enabled) and running in Development?");
}
Console.WriteLine($"See them: curl -H \"Authorization: Bearer $(dotnet run --project Ovrsee.AppHost -- dev-token 2>/dev/null)\" {settings.Options.TargetBaseUrl}api/aloha/calls");
return failures == 0 ? 0 : 1;
