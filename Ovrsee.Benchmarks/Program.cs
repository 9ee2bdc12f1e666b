using System.Globalization;
using BenchmarkDotNet.Running;
using Npgsql;
using Ovrsee.Benchmarks;
using Ovrsee.Hosting;

// dotnet run -c Release --project Ovrsee.Benchmarks -- load [--concurrency 32] [--seconds 20] [--voicemail 0.3] [--ephemeral]
// dotnet run -c Release --project Ovrsee.Benchmarks -- signature
// dotnet run -c Release --project Ovrsee.Benchmarks -- recordings [--megabytes 10]
if (args is ["recordings", ..])
{
    return await RecordingMemory.RunAsync(int.Parse(args.SkipWhile(a => a != "--megabytes").Skip(1).FirstOrDefault() ?? "10", CultureInfo.InvariantCulture));
}
if (args is ["signature", ..])
{
    BenchmarkRunner.Run<SignatureBenchmarks>(args: args[1..]);
    return 0;
}
if (args is not ["load", ..])
{
    Console.Error.WriteLine("Usage: load [--concurrency N] [--seconds N] [--voicemail 0..1] [--ephemeral] | signature");
    return 2;
}

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var concurrency = int.Parse(Option("--concurrency") ?? "32", CultureInfo.InvariantCulture);
var duration = TimeSpan.FromSeconds(double.Parse(Option("--seconds") ?? "20", CultureInfo.InvariantCulture));
var voicemailShare = double.Parse(Option("--voicemail") ?? "0.3", CultureInfo.InvariantCulture);
var ephemeral = args.Contains("--ephemeral");
const string authToken = "bench-auth-token-0000000000000000";
const string number = "+15005550006";

var stateDirectory = Path.Combine(Path.GetTempPath(), $"ovrsee-bench-{Environment.ProcessId}");
AppDomain.CurrentDomain.ProcessExit += (_, _) =>
{
    try { Directory.Delete(stateDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
};
Console.WriteLine($"Starting PostgreSQL ({(ephemeral ? "fsync off" : "durable: fsync on")}) and WebhookApi in Release...");
await using var system = await OvrseeSystem.StartAsync(new OvrseeSystemOptions
{
    StateDirectory = stateDirectory,
    PostgresPort = 0, WebhookApiPort = 0, ProvisioningPort = 0,
    EphemeralDatabase = ephemeral,
    Environment = "Production",
    ServiceSettings = new Dictionary<string, string?>
    {
        ["Twilio__AuthToken"] = authToken,
        ["Auth__JwtSecret"] = "bench-jwt-secret-0000000000000000000000",
        ["RateLimiting__Webhooks__PermitsPerSecond"] = "1000000",
        ["RateLimiting__Webhooks__Burst"] = "1000000",
        ["Logging__LogLevel__Default"] = "Warning",
        // Measures the webhooks; the voicemail jobs would only reach for api.twilio.com here.
        ["Jobs__Enabled"] = "false",
    },
});
var admin = system.Postgres!.AdminConnectionString(OvrseeSystem.DatabaseName);
await using (var seed = new NpgsqlConnection(admin))
{
    await seed.OpenAsync();
    await using var command = new NpgsqlCommand("""
        WITH w AS (INSERT INTO workspaces (name) VALUES ('Benchmark') RETURNING id)
        INSERT INTO user_phone_numbers (workspace_id, phone_number) SELECT id, $1 FROM w
        """, seed) { Parameters = { new() { Value = number } } };
    await command.ExecuteNonQueryAsync();
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { Timeout = TimeSpan.FromSeconds(30) };
var recorder = new LatencyRecorder();
var runPrefix = Guid.NewGuid().ToString("N")[..8];
var load = new WebhookLoad(http, system.WebhookApi.HttpEndpoint, authToken, number, runPrefix, recorder);

Console.WriteLine($"Warm-up 3 s, then {duration.TotalSeconds:0} s at concurrency {concurrency}, {voicemailShare:P0} of calls leave a voicemail.");
await new WebhookLoad(http, system.WebhookApi.HttpEndpoint, authToken, number, "00000000", new LatencyRecorder()).RunAsync(concurrency, TimeSpan.FromSeconds(3), voicemailShare);
var result = await load.RunAsync(concurrency, duration, voicemailShare);
Console.WriteLine();
recorder.Print(result.Elapsed);
Console.WriteLine($"calls: {result.Calls} ({result.Calls / result.Elapsed.TotalSeconds:F0}/s), voicemails: {result.VoicemailCalls}, calls with a failed request: {result.FailedCalls}");

// The end state: every call once, every callback once, every voicemail once.
await using (var check = new NpgsqlConnection(admin))
{
    await check.OpenAsync();
    await using var command = new NpgsqlCommand("""
        SELECT (SELECT count(*) FROM call_logs WHERE call_sid LIKE $1),
               (SELECT count(DISTINCT call_sid) FROM call_logs WHERE call_sid LIKE $1),
               (SELECT count(*) FROM call_logs WHERE call_sid LIKE $1 AND status = 'completed'),
               (SELECT count(*) FROM call_events WHERE call_sid LIKE $1),
               (SELECT count(*) FROM voicemail_messages WHERE call_sid LIKE $1),
               (SELECT count(*) FROM jobs j JOIN voicemail_messages v ON j.payload->>'voicemailId' = v.id::text WHERE v.call_sid LIKE $1)
        """, check) { Parameters = { new() { Value = $"CA{runPrefix}%" } } };
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    var (logs, distinct, completed, events, voicemails, jobs) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    var expectedEvents = result.Calls * 3L + result.VoicemailCalls;
    var verdict = logs == result.Calls && distinct == logs && completed == logs && events == expectedEvents && voicemails == result.VoicemailCalls && jobs == voicemails
        ? "OK: nothing lost, nothing duplicated" : "MISMATCH";
    Console.WriteLine($"database: call_logs {logs}/{result.Calls} (distinct {distinct}, completed {completed}), call_events {events}/{expectedEvents}, voicemails {voicemails}/{result.VoicemailCalls}, jobs {jobs} -> {verdict}");
}

var webhooksPerSecond = (result.Calls * 3.0 + result.VoicemailCalls) / result.Elapsed.TotalSeconds;
Console.WriteLine($"Raw single-row INSERT rate on the same PostgreSQL, {concurrency} connections, 10 s...");
var insertsPerSecond = await RawInsertRate.MeasureAsync(system.Postgres.AdminConnectionString(OvrseeSystem.DatabaseName), concurrency, TimeSpan.FromSeconds(10));
Console.WriteLine($"raw inserts: {insertsPerSecond:F0}/s; webhooks: {webhooksPerSecond:F0}/s = {webhooksPerSecond / insertsPerSecond:P0} of the database's single-insert rate");
return 0;
