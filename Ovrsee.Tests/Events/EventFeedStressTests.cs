using System.Collections.Concurrent;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>
/// Many writers whose transactions overlap and commit out of order (some take their transaction id
/// long before they write their events, as a voicemail job or a group-commit batch does), one feed
/// that stays connected and one that keeps dropping and resuming with Last-Event-ID: both must end
/// with every event exactly once.
/// </summary>
[Trait("Category", "Slow")]
public class EventFeedStressTests(EventFeedFixture api) : IClassFixture<EventFeedFixture>
{
    private const string Feed = "/api/aloha/events";

    [Fact]
    public async Task Overlapping_writers_and_a_client_that_keeps_resuming_miss_nothing()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin, "Stress");
        var user = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, workspace, user);
        var token = TokenFor(user);
        var callId = await Seed.CallAsync(api.Admin, workspace, Seed.NewCallSid(), "in-progress");

        await using var steady = await SseClient.ConnectAsync(api.Http, Feed, token);
        var steadyFrames = new ConcurrentQueue<SseFrame>();
        var resumingFrames = new ConcurrentQueue<SseFrame>();
        using var stop = new CancellationTokenSource();
        var readSteady = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var frame = await steady.NextFrameAsync(stop.Token);
                    if (frame.IsEvent)
                    {
                        steadyFrames.Enqueue(frame);
                    }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        });
        var resumes = 0;
        var readResuming = Task.Run(async () =>
        {
            // A new workspace: resuming from the very start replays exactly this test's events, so no
            // session (not even the first, before it has an id) can start after one.
            var lastId = "0.0";
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var client = await SseClient.ConnectAsync(api.Http, Feed, token, lastId);
                    using var session = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    session.CancelAfter(TimeSpan.FromMilliseconds(Random.Shared.Next(100, 700)));
                    while (true)
                    {
                        var frame = await client.NextFrameAsync(session.Token);
                        if (frame.IsEvent)
                        {
                            resumingFrames.Enqueue(frame);
                            lastId = frame.Id;
                        }
                    }
                }
                catch (Exception)
                {
                    resumes++;
                }
            }
        });

        // The writers' transaction ids cross a power of ten (999 → 1000): where a reader that sorted
        // them as text once handed events out of order and the feed dropped them.
        await using (var burn = new NpgsqlConnection(api.Admin))
        {
            await burn.OpenAsync();
            await using var command = new NpgsqlCommand("""
                DO $$
                DECLARE
                    next_xid bigint := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
                    target bigint := power(10, ceil(log(next_xid + 200)))::bigint - 150;
                BEGIN
                    FOR i IN 1 .. greatest(target - next_xid, 0) LOOP
                        PERFORM pg_current_xact_id();
                        COMMIT;
                    END LOOP;
                END $$
                """, burn);
            command.CommandTimeout = 300;
            await command.ExecuteNonQueryAsync();
        }
        var produced = new ConcurrentBag<Guid>();
        async Task WriterAsync(int writer)
        {
            var random = new Random(writer);
            await using var connection = new NpgsqlConnection(api.Admin);
            await connection.OpenAsync();
            for (var i = 0; i < 40; i++)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                if (random.Next(3) == 0)
                {
                    // Takes its transaction id first and writes its events later.
                    await using var touch = new NpgsqlCommand("UPDATE call_logs SET updated_at = now() WHERE id = $1", connection, transaction)
                    {
                        Parameters = { new() { Value = callId } },
                    };
                    await touch.ExecuteNonQueryAsync();
                    await Task.Delay(random.Next(0, 60));
                }
                for (var e = 0; e < random.Next(1, 4); e++)
                {
                    produced.Add((await DomainEvents.InsertAsync(connection, workspace, "call.ringing")).Id);
                }
                await Task.Delay(random.Next(0, 30));
                await transaction.CommitAsync();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(WriterAsync));
        var last = await DomainEvents.InsertAsync(api.Admin, workspace, "call.completed");
        produced.Add(last.Id);

        var expected = produced.ToHashSet();
        static HashSet<Guid> Ids(IEnumerable<SseFrame> frames) => [.. frames.Select(f => f.Json.GetProperty("id").GetGuid())];
        var settled = await Eventually.TrueAsync(() => Task.FromResult(
            expected.IsSubsetOf(Ids(steadyFrames)) && expected.IsSubsetOf(Ids(resumingFrames))), TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(readSteady, readResuming);

        var missing = expected.Except(Ids(steadyFrames)).Union(expected.Except(Ids(resumingFrames))).ToArray();
        var missingCursors = await Seed.ListAsync<string>(api.Admin,
            "SELECT tx_id::text || '.' || position FROM domain_events WHERE id = ANY($1) ORDER BY tx_id, position", (object)missing);
        Assert.True(settled, $"events {expected.Count}; steady feed missed {expected.Except(Ids(steadyFrames)).Count()}, resuming feed ({resumes} resumes) missed {expected.Except(Ids(resumingFrames)).Count()}: {string.Join(" ", missingCursors)}");
        Assert.Equal(steadyFrames.Count, Ids(steadyFrames).Count);
        Assert.Equal(resumingFrames.Count, Ids(resumingFrames).Count);
        Assert.True(resumes >= 3, $"only {resumes} resumes");
    }
}
