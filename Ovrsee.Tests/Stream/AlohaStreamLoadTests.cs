using Ovrsee.Simulator;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace Ovrsee.Tests.Streaming;

/// <summary>A process of its own (its own fixture instance), so its memory numbers are only its own.</summary>
[Trait("Category", "Slow")]
public class AlohaStreamLoadTests(AlohaStreamFixture api, ITestOutputHelper output) : IClassFixture<AlohaStreamFixture>
{
    private const int Streams = 100;
    private const int FramesPerStream = 150; // 3 s at 50 frames a second
    private const long MaxHeapGrowthBytes = 32L * 1024 * 1024;
    private const long MaxWorkingSetGrowthBytes = 384L * 1024 * 1024;

    private static readonly byte[] Frame = Enumerable.Range(0, 160).Select(i => (byte)(0xFF - i % 32)).ToArray();

    [Fact]
    public async Task A_hundred_concurrent_real_time_streams_lose_no_frame_and_leave_memory_where_it_was()
    {
        var (_, number) = await api.NumberAsync(api.Agent.Url("listen"));
        // Warm-up: JIT, connection pools and the first GC heap growth are not what is measured.
        await RunStreamAsync(await api.RingAsync(number), frames: 25);
        var before = await api.DiagnosticsAsync(collect: true);

        var clock = Stopwatch.StartNew();
        var calls = await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => api.RingAsync(number)));
        var ringingTime = clock.Elapsed;
        clock.Restart();
        var running = calls.Select(call => RunStreamAsync(call, FramesPerStream)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var during = await api.DiagnosticsAsync();
        var sent = await Task.WhenAll(running);
        var streamingTime = clock.Elapsed;
        clock.Restart();

        var stopped = await StreamStoppedAsync(calls.Select(c => c.CallSid).ToArray());
        foreach (var call in calls)
        {
            await api.Agent.Calls[call.CallSid].Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        var settleTime = clock.Elapsed;
        var after = await api.DiagnosticsAsync(collect: true);

        // Every frame sent reached the server and is accounted for, per call: delivered to the agent
        // or, when the agent fell behind real time (a busy machine), dropped oldest-first and
        // counted (CallerStream's back-pressure policy). How many drop is machine speed, which the
        // stream benchmark measures; a frame lost without being counted fails here.
        Assert.All(sent, s => Assert.Equal(FramesPerStream, s));
        var received = calls.Select(call => api.Agent.Calls[call.CallSid].AudioFrames).ToList();
        var dropped = stopped.Sum(p => p.GetProperty("callerFramesDropped").GetInt64());
        Assert.All(stopped, payload =>
        {
            Assert.Equal(FramesPerStream, payload.GetProperty("callerFramesReceived").GetInt64());
            Assert.Equal("stop", payload.GetProperty("reason").GetString());
        });
        Assert.Equal((long)FramesPerStream * Streams, received.Sum(r => (long)r) + dropped);
        Assert.Equal(0, after.GetProperty("streams").GetProperty("activeStreams").GetInt64());
        Assert.Equal(0, after.GetProperty("timelineEventsDropped").GetInt64());

        var heapGrowth = Bytes(after, "gcHeapBytes") - Bytes(before, "gcHeapBytes");
        var workingSetGrowth = Bytes(after, "workingSetBytes") - Bytes(before, "workingSetBytes");
        output.WriteLine($"ringing {ringingTime.TotalSeconds:0.0} s, timelines settled {settleTime.TotalSeconds:0.0} s");
        output.WriteLine($"{Streams} streams x {FramesPerStream} frames in {streamingTime.TotalSeconds:0.0} s; agent received {received.Sum()} frames; dropped {after.GetProperty("streams").GetProperty("callerFramesDropped")}");
        output.WriteLine($"GC heap {Mb(before, "gcHeapBytes")} -> {Mb(after, "gcHeapBytes")} MB (during {Mb(during, "gcHeapBytes")}); working set {Mb(before, "workingSetBytes")} -> {Mb(after, "workingSetBytes")} MB (during {Mb(during, "workingSetBytes")})");
        Assert.True(heapGrowth < MaxHeapGrowthBytes, $"GC heap grew by {heapGrowth / 1048576.0:0.0} MB after every stream ended");
        Assert.True(workingSetGrowth < MaxWorkingSetGrowthBytes, $"Working set grew by {workingSetGrowth / 1048576.0:0.0} MB");
    }

    /// <summary>One call as Twilio would stream it: frames at 50 a second, then stop. Returns the frames sent.</summary>
    private static async Task<int> RunStreamAsync(StreamCall call, int frames)
    {
        await using var twilio = await TestMediaStream.ConnectAsync(call.StreamUrl);
        await twilio.SendConnectedAsync();
        await twilio.SendStartAsync(call.CallSid, call.Parameters);
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20)))
        {
            for (var i = 0; i < frames && await timer.WaitForNextTickAsync(); i++)
            {
                await twilio.SendMediaAsync(Frame);
            }
        }
        // The agent's greeting must have come back through the bridge under load too.
        var greeting = await twilio.WaitForAsync(TwilioMediaStreamClient.Event("media"));
        Assert.Equal(twilio.StreamSid, greeting.GetProperty("streamSid").GetString());
        await twilio.SendStopAsync(call.CallSid);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await twilio.WaitForCloseAsync(TimeSpan.FromSeconds(20)));
        return twilio.MediaFramesSent;
    }

    /// <summary>Every call's stream-stopped payload, once all are written (the timeline is written asynchronously).</summary>
    private async Task<List<JsonElement>> StreamStoppedAsync(string[] callSids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var connection = new NpgsqlConnection(api.Admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT payload::text FROM call_events WHERE call_sid = ANY($1) AND kind = 'stream-stopped'", connection)
            {
                Parameters = { new() { Value = callSids } },
            };
            var payloads = new List<JsonElement>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    payloads.Add(JsonDocument.Parse(reader.GetString(0)).RootElement.Clone());
                }
            }
            if (payloads.Count == callSids.Length)
            {
                return payloads;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{payloads.Count} of {callSids.Length} streams recorded stream-stopped");
            await Task.Delay(100);
        }
    }

    private static long Bytes(JsonElement diagnostics, string name) => diagnostics.GetProperty(name).GetInt64();

    private static string Mb(JsonElement diagnostics, string name) => (Bytes(diagnostics, name) / 1048576.0).ToString("0.0");
}
