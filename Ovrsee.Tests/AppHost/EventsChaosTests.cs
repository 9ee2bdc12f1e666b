using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Ovrsee.Simulator;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Events;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using Xunit.Abstractions;

namespace Ovrsee.Tests.AppHost;

/// <summary>
/// #19's proof through the real system (AppHost: PostgreSQL, migrate, WebhookApi): 200 chaotic
/// calls into two workspaces. Workspace A's webhook endpoint is down (503) for the first seconds
/// and its live feed is cut mid-run and resumed with Last-Event-ID. Afterwards every event in the
/// outbox reached its own workspace's endpoint exactly once by webhook-id (duplicates on the wire
/// allowed), signed (checked by an independent verifier), in per-call order; every event reached
/// its own workspace's feed across the resume, none twice; and nothing crossed tenants.
/// </summary>
[Collection(AppHostCollection.Name)]
[Trait("Category", "Slow")]
public class EventsChaosTests(AppHostFixture system, ITestOutputHelper output)
{
    private const int CallsToA = 150;
    private const int CallsToB = 50;

    private sealed record Tenant(Guid Workspace, Guid Owner, string Number, string Token);

    private async Task<Tenant> TenantAsync(string prefix)
    {
        var admin = system.AdminConnectionString;
        var workspace = await Seed.WorkspaceAsync(admin);
        var owner = Guid.NewGuid();
        await Seed.MemberAsync(admin, workspace, owner, "owner");
        var number = prefix + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(admin, workspace, number);
        return new Tenant(workspace, owner, number, CallsApiClient.TokenFor(owner, secret: AppHostFixture.JwtSecret));
    }

    private static async Task<string> EndpointSecretAsync(HttpClient http, Tenant tenant, Uri url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/aloha/webhook-endpoints")
        {
            Content = JsonContent.Create(new { url = url.ToString() }),
        };
        request.Headers.Authorization = new("Bearer", tenant.Token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString()!;
    }

    /// <summary>
    /// Reads a feed until cancelled, as a browser's EventSource does: when the server ends the stream
    /// (it cuts off a client that fell behind), reconnect with the last id. What it got stays in
    /// <paramref name="frames"/>; returns how many times the server ended the stream.
    /// </summary>
    /// <param name="connected">Set once the first connection is open: from then on every new event reaches it.</param>
    private static async Task<int> CollectAsync(HttpClient http, string token, string? lastEventId, ConcurrentQueue<SseFrame> frames, CancellationToken stop,
        TaskCompletionSource? connected = null)
    {
        var reconnects = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await SseClient.ConnectAsync(http, "/api/aloha/events", token, lastEventId);
                connected?.TrySetResult();
                while (true)
                {
                    // Heartbeats keep an idle stream open, as in a browser: no bound on the wait for an event.
                    var frame = await client.NextFrameAsync(stop);
                    if (frame.IsEvent)
                    {
                        frames.Enqueue(frame);
                        lastEventId = frame.Id;
                    }
                }
            }
            catch (EndOfStreamException)
            {
                reconnects++;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        }
        return reconnects;
    }

    /// <summary>What the outbox's readers wait on, for a run that did not settle.</summary>
    private async Task<IReadOnlyList<string>> DiagnoseAsync() => await Seed.ListAsync<string>(system.AdminConnectionString, """
        SELECT 'horizon ' || pg_snapshot_xmin(pg_current_snapshot())::text || ', next xid ' || pg_snapshot_xmax(pg_current_snapshot())::text
        UNION ALL
        SELECT 'outbox: ' || count(*) || ' events, max tx ' || coalesce(max(tx_id)::text, '-') || ', max position ' || coalesce(max(position)::text, '-') FROM domain_events
        UNION ALL
        SELECT 'dispatch cursor ' || tx_id::text || '.' || position FROM webhook_dispatch_cursor
        UNION ALL
        SELECT 'deliveries ' || status || ': ' || count(*) FROM webhook_deliveries GROUP BY status
        UNION ALL
        SELECT 'xid holder pid ' || pid || ' ' || coalesce(application_name, '') || ' db ' || coalesce(datname, '') || ' xid ' || backend_xid::text
               || ' since ' || coalesce(xact_start::text, '-') || ' ' || state || ': ' || left(query, 160)
        FROM pg_stat_activity WHERE backend_xid IS NOT NULL
        UNION ALL
        SELECT 'prepared ' || gid || ' ' || transaction::text FROM pg_prepared_xacts
        """);

    private async Task<HashSet<Guid>> OutboxAsync(Guid workspace) =>
        [.. await Seed.ListAsync<Guid>(system.AdminConnectionString, "SELECT id FROM domain_events WHERE workspace_id = $1", workspace)];

    [Fact]
    public async Task Two_hundred_chaotic_calls_reach_each_workspaces_webhook_and_feed_exactly_once_in_order()
    {
        var a = await TenantAsync("+1629");
        var b = await TenantAsync("+1630");
        using var http = new HttpClient { BaseAddress = system.WebhookApi, Timeout = Timeout.InfiniteTimeSpan };
        await using var receiverA = await WebhookReceiver.StartAsync();
        await using var receiverB = await WebhookReceiver.StartAsync();
        var aDown = 1;
        receiverA.Answer = _ => Volatile.Read(ref aDown) == 1 ? 503 : 200;
        var secretA = await EndpointSecretAsync(http, a, receiverA.Url);
        var secretB = await EndpointSecretAsync(http, b, receiverB.Url);

        using var stop = new CancellationTokenSource();
        var feedA1 = new ConcurrentQueue<SseFrame>();
        var feedA2 = new ConcurrentQueue<SseFrame>();
        var feedB = new ConcurrentQueue<SseFrame>();
        using var stopA1 = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        // Connected before any call: a feed without Last-Event-ID starts at the outbox's head when it
        // opens, so an event committed before that is (rightly) not in it.
        var connectedA1 = new TaskCompletionSource();
        var connectedB = new TaskCompletionSource();
        var collectA1 = CollectAsync(http, a.Token, null, feedA1, stopA1.Token, connectedA1);
        var collectB = CollectAsync(http, b.Token, null, feedB, stop.Token, connectedB);
        await Task.WhenAll(connectedA1.Task, connectedB.Task).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1));

        using var simulatorHttp = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };
        var simulator = new TwilioSimulator(simulatorHttp, new SimulatorOptions
        {
            TargetBaseUrl = system.WebhookApi,
            AuthToken = AppHostFixture.AuthToken,
            Chaos = ChaosOptions.All,
            Seed = 20261202,
        });
        var random = new Random(19);
        var calls = Enumerable.Range(0, CallsToA).Select(i => SimulatedCall.Random(a.Number, i % 3 == 0, random))
            .Concat(Enumerable.Range(0, CallsToB).Select(i => SimulatedCall.Random(b.Number, i % 3 == 0, random)))
            .OrderBy(_ => random.Next()).ToList();
        var placing = Task.WhenAll(calls.Select(call => simulator.PlaceCallAsync(call)));

        // Mid-run: A's feed drops; A's endpoint comes back; the feed resumes where it was.
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(feedA1.Count >= 10), TimeSpan.FromMinutes(1)), "feed A got nothing");
        await Task.Delay(TimeSpan.FromSeconds(1));
        stopA1.Cancel();
        var cutA1 = await collectA1;
        var lastSeen = feedA1.LastOrDefault()?.Id;
        output.WriteLine($"feed A cut after {feedA1.Count} events (last id {lastSeen}); webhook attempts at A so far: {receiverA.Received.Count}");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Volatile.Write(ref aDown, 0);
        var collectA2 = CollectAsync(http, a.Token, lastSeen, feedA2, stop.Token);

        var outcomes = await placing;
        output.WriteLine($"calls placed: {outcomes.Length}, requests: {outcomes.Sum(o => o.RequestsSent)}, retries: {outcomes.Sum(o => o.Retries)}");

        // Settled: every call of each workspace ended (and each voicemail was announced) in the outbox,
        // and both endpoints and both feeds have every one of their workspace's events.
        var voicemailsA = calls.Count(c => c.To == a.Number && c.LeavesVoicemail);
        var voicemailsB = calls.Count(c => c.To == b.Number && c.LeavesVoicemail);
        HashSet<Guid> outboxA = [], outboxB = [];
        static HashSet<Guid> Ids(IEnumerable<ReceivedWebhook> received) => [.. received.Where(r => r.Succeeded).Select(r => Guid.Parse(r.Id))];
        static HashSet<Guid> FeedIds(IEnumerable<SseFrame> frames) => [.. frames.Select(f => f.Json.GetProperty("id").GetGuid())];
        var nextDiagnosis = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var settled = await Eventually.TrueAsync(async () =>
        {
            if (DateTime.UtcNow > nextDiagnosis)
            {
                nextDiagnosis = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss} delivered A {Ids(receiverA.Received).Count}, B {Ids(receiverB.Received).Count}; feed A {feedA1.Count}+{feedA2.Count}, B {feedB.Count}");
                foreach (var line in await DiagnoseAsync())
                {
                    output.WriteLine("  " + line);
                }
            }
            var completedA = await Seed.ScalarAsync<long>(system.AdminConnectionString,
                "SELECT count(*) FROM domain_events WHERE workspace_id = $1 AND type = 'call.completed'", a.Workspace);
            var completedB = await Seed.ScalarAsync<long>(system.AdminConnectionString,
                "SELECT count(*) FROM domain_events WHERE workspace_id = $1 AND type = 'call.completed'", b.Workspace);
            var recordedA = await Seed.ScalarAsync<long>(system.AdminConnectionString,
                "SELECT count(*) FROM domain_events WHERE workspace_id = $1 AND type = 'voicemail.recorded'", a.Workspace);
            outboxA = await OutboxAsync(a.Workspace);
            outboxB = await OutboxAsync(b.Workspace);
            return completedA == CallsToA && completedB == CallsToB && recordedA == voicemailsA
                && outboxA.IsSubsetOf(Ids(receiverA.Received)) && outboxB.IsSubsetOf(Ids(receiverB.Received))
                && outboxA.IsSubsetOf(FeedIds(feedA1.Concat(feedA2))) && outboxB.IsSubsetOf(FeedIds(feedB));
        }, TimeSpan.FromMinutes(3));
        stop.Cancel();
        output.WriteLine($"streams the server ended (client fell behind, resumed): A {cutA1 + await collectA2}, B {await collectB}");
        output.WriteLine($"outbox A {outboxA.Count}, B {outboxB.Count}; requests at A {receiverA.Received.Count} ({receiverA.Received.Count(r => !r.Succeeded)} refused while down), at B {receiverB.Received.Count}; feed A {feedA1.Count}+{feedA2.Count}, feed B {feedB.Count}");
        if (!settled)
        {
            foreach (var line in await DiagnoseAsync())
            {
                output.WriteLine(line);
            }
            var missing = outboxA.Except(FeedIds(feedA1.Concat(feedA2))).Concat(outboxB.Except(FeedIds(feedB))).ToArray();
            output.WriteLine($"A1 last {feedA1.LastOrDefault()?.Id}, A2 first {feedA2.FirstOrDefault()?.Id} last {feedA2.LastOrDefault()?.Id}, B last {feedB.LastOrDefault()?.Id}");
            foreach (var line in await Seed.ListAsync<string>(system.AdminConnectionString,
                "SELECT 'missing from a feed: ' || tx_id::text || '.' || position || ' ' || type || ' ' || workspace_id || ' at ' || occurred_at FROM domain_events WHERE id = ANY($1)", (object)missing))
            {
                output.WriteLine(line);
            }
        }
        Assert.True(settled, $"not settled: outbox A {outboxA.Count}, delivered {Ids(receiverA.Received).Count}, feed {FeedIds(feedA1.Concat(feedA2)).Count}; outbox B {outboxB.Count}, delivered {Ids(receiverB.Received).Count}, feed {FeedIds(feedB).Count}");

        // The outbox itself: per call, each call event once, each voicemail announced once.
        var perCall = await Seed.ListAsync<string>(system.AdminConnectionString, """
            SELECT c.call_sid || ' ' || string_agg(e.type, ',' ORDER BY e.call_seq)
            FROM domain_events e JOIN call_logs c ON c.id = e.call_log_id
            WHERE e.workspace_id IN ($1, $2) GROUP BY c.call_sid
            """, a.Workspace, b.Workspace);
        Assert.Equal(calls.Count, perCall.Count);
        var bySid = calls.ToDictionary(c => c.CallSid);
        foreach (var line in perCall)
        {
            var sid = line[..34];
            var types = line[35..].Split(',');
            Assert.Equal(1, types.Count(t => t == "call.ringing"));
            Assert.Equal(1, types.Count(t => t == "call.routed"));
            Assert.Equal(1, types.Count(t => t == "call.answered"));
            Assert.Equal(1, types.Count(t => t == "call.completed"));
            Assert.Equal(bySid[sid].LeavesVoicemail ? 1 : 0, types.Count(t => t == "voicemail.recorded"));
            Assert.True(types.Length == types.Distinct().Count(), line);
        }

        // Webhooks: exactly the workspace's own events (by webhook-id), each request signed (independent
        // verifier) with its endpoint's secret, the body's id the header's, and per call in order of occurrence.
        foreach (var (receiver, secret, outbox, workspace) in new[] { (receiverA, secretA, outboxA, a.Workspace), (receiverB, secretB, outboxB, b.Workspace) })
        {
            Assert.Equal(outbox.Order(), Ids(receiver.Received).Order());
            Assert.All(receiver.Received, r =>
            {
                Assert.True(IndependentWebhookVerifier.Verifies(secret, r), $"bad signature on {r.Id}");
                Assert.Equal(r.Id, r.Json.GetProperty("id").GetString());
                Assert.Equal(workspace, r.Json.GetProperty("workspaceId").GetGuid());
            });
            var firstDeliveries = receiver.Received.Where(r => r.Succeeded).DistinctBy(r => r.Id).ToList();
            foreach (var call in firstDeliveries.GroupBy(r => r.Json.GetProperty("callId").GetGuid()))
            {
                var sequences = call.Select(r => r.Json.GetProperty("sequence").GetInt32()).ToList();
                Assert.Equal(sequences.Order(), sequences);
            }
        }
        Assert.Contains(receiverA.Received, r => !r.Succeeded);

        // Feeds: A's two connections together carry A's events, none twice across the resume; B's only B's.
        var feedAIds = feedA1.Concat(feedA2).Select(f => f.Json.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(feedAIds.Count, feedAIds.Distinct().Count());
        Assert.Equal(outboxA.Order(), feedAIds.Order());
        Assert.Equal(outboxB.Order(), feedB.Select(f => f.Json.GetProperty("id").GetGuid()).Order());
        Assert.NotEmpty(feedA2);
    }
}
