using Npgsql;

namespace Ovrsee.Benchmarks;

/// <summary>
/// Whole calls as Twilio plays them (incoming-call → ringing → 30 % voicemail-recorded →
/// completed), then the end state checked in the database: every call once, completed, every
/// callback once, every voicemail once with its job.
/// </summary>
public static class RealisticMix
{
    public static async Task RunAsync(BenchmarkStack stack, BenchmarkTarget target, int connections, TimeSpan duration)
    {
        Console.WriteLine();
        Console.WriteLine($"Realistic mix on {target.Name}: {connections} workers, {duration.TotalSeconds:0} s, 30 % of calls leave a voicemail; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { Timeout = TimeSpan.FromSeconds(30) };
        var recorder = new LatencyRecorder();
        var runPrefix = "m" + Guid.NewGuid().ToString("N")[..7];
        await using var meter = new ResourceMeter(target.Pid, stack.Postgres.PostmasterPid, target.Diagnostics);
        var result = await new WebhookLoad(http, target.BaseAddress, BenchmarkStack.AuthToken, BenchmarkStack.Number, runPrefix, recorder)
            .RunAsync(connections, duration, voicemailShare: 0.3);
        var resources = await meter.StopAsync();
        recorder.Print(result.Elapsed);
        Console.WriteLine($"calls: {result.Calls} ({result.Calls / result.Elapsed.TotalSeconds:F0}/s), voicemails: {result.VoicemailCalls}, calls with a failed request: {result.FailedCalls}");
        Console.WriteLine($"WebhookApi during the mix: peak working set {resources.PeakRssBytes / 1048576.0:F0} MB, peak GC heap {(resources.PeakGcHeapBytes ?? 0) / 1048576.0:F0} MB, " +
                          $"CPU {resources.ServerCpuSeconds:F1} s; PostgreSQL CPU {resources.PostgresCpuSeconds:F1} s");

        await using var connection = new NpgsqlConnection(stack.Postgres.ConnectionString(BenchmarkStack.OvrseeDatabase));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM call_logs WHERE call_sid LIKE $1),
                   (SELECT count(DISTINCT call_sid) FROM call_logs WHERE call_sid LIKE $1),
                   (SELECT count(*) FROM call_logs WHERE call_sid LIKE $1 AND status = 'completed'),
                   (SELECT count(*) FROM call_events WHERE call_sid LIKE $1),
                   (SELECT count(*) FROM voicemail_messages WHERE call_sid LIKE $1),
                   (SELECT count(*) FROM jobs j JOIN voicemail_messages v ON j.payload->>'voicemailId' = v.id::text WHERE v.call_sid LIKE $1)
            """, connection) { Parameters = { new() { Value = $"CA{runPrefix}%" } } };
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (logs, distinct, completed, events, voicemails, jobs) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        var expectedEvents = result.Calls * 3L + result.VoicemailCalls;
        var verdict = result.FailedCalls == 0 && logs == result.Calls && distinct == logs && completed == logs && events == expectedEvents
                      && voicemails == result.VoicemailCalls && jobs == voicemails
            ? "OK: nothing lost, nothing duplicated" : "MISMATCH";
        Console.WriteLine($"database: call_logs {logs}/{result.Calls} (distinct {distinct}, completed {completed}), call_events {events}/{expectedEvents}, voicemails {voicemails}/{result.VoicemailCalls}, jobs {jobs} -> {verdict}");
    }
}
