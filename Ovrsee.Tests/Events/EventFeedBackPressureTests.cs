using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>The WebhookApi with the smallest per-client queue, so a client that does not read overflows it.</summary>
public sealed class SmallQueueFeedFixture : EventFeedFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["EventFeed__SubscriberQueueLength"] = "8",
    };
}

/// <summary>A client that does not keep up is cut off instead of buffered without bound, and resumes with nothing lost.</summary>
[Trait("Category", "Slow")]
public class EventFeedBackPressureTests(SmallQueueFeedFixture api) : IClassFixture<SmallQueueFeedFixture>
{
    private const int Events = 200;

    [Fact]
    public async Task A_client_that_does_not_read_is_disconnected_and_resumes_with_Last_Event_ID_missing_nothing()
    {
        var a = await Seed.WorkspaceAsync(api.Admin, "Slow reader");
        var b = await Seed.WorkspaceAsync(api.Admin, "Witness");
        var userA = Guid.NewGuid();
        var userB = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, a, userA);
        await Seed.MemberAsync(api.Admin, b, userB);
        await using var slow = await SseClient.ConnectAsync(api.Http, "/api/aloha/events", TokenFor(userA));
        await using var witness = await SseClient.ConnectAsync(api.Http, "/api/aloha/events", TokenFor(userB));

        // 200 events of ~100 KB in one transaction: 20 MB, more than the loopback socket buffers hold,
        // so with nobody reading the 8-frame queue must overflow.
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO domain_events (workspace_id, type, occurred_at, data)
            SELECT $1, 'call.ringing', now(), jsonb_build_object('n', n, 'pad', repeat('x', 100000))
            FROM generate_series(1, 200) AS n
            """, a);
        var marker = await DomainEvents.InsertAsync(api.Admin, b);
        // The hub hands out events in outbox order: once the witness has its later event, the slow
        // client's 200 have been offered to its queue.
        await witness.EventsThroughAsync(marker.Id);

        var firstPart = new List<SseFrame>();
        var end = await Record.ExceptionAsync(async () =>
        {
            while (firstPart.Count < Events)
            {
                firstPart.Add(await slow.NextEventAsync());
            }
        });
        Assert.IsType<EndOfStreamException>(end);
        Assert.InRange(firstPart.Count, 0, Events - 1);

        var resumeFrom = firstPart.Count > 0 ? firstPart[^1].Id! : (await FirstCursorAsync(a)).Before;
        await using var resumed = await SseClient.ConnectAsync(api.Http, "/api/aloha/events", TokenFor(userA), lastEventId: resumeFrom);
        var rest = new List<SseFrame>();
        while (firstPart.Count + rest.Count < Events)
        {
            rest.Add(await resumed.NextEventAsync());
        }

        var numbers = firstPart.Concat(rest).Select(f => f.Json.GetProperty("data").GetProperty("n").GetInt32());
        Assert.Equal(Enumerable.Range(1, Events), numbers);
    }

    /// <summary>A cursor just before the workspace's first event, for a client that was cut off before receiving any.</summary>
    private async Task<(string First, string Before)> FirstCursorAsync(Guid workspace)
    {
        var first = (await Seed.ScalarAsync<string>(api.Admin,
            "SELECT tx_id::text || '.' || position FROM domain_events WHERE workspace_id = $1 ORDER BY tx_id, position LIMIT 1", workspace))!;
        var parts = first.Split('.');
        return (first, $"{parts[0]}.{long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) - 1}");
    }
}
