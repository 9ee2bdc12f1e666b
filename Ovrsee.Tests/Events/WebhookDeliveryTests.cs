using System.Text.Json;
using Npgsql;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;
using static Ovrsee.Tests.Events.WebhookApiClient;

namespace Ovrsee.Tests.Events;

/// <summary>
/// Events written to the outbox reach the workspace's endpoints through the real service: signed
/// (checked by an independent verifier), retried through an outage, in per-call order, isolated
/// per endpoint and per workspace, re-sendable, with secrets rotated without downtime.
/// </summary>
[Trait("Category", "Slow")]
public class WebhookDeliveryTests(OutboundWebhooksFixture api) : IClassFixture<OutboundWebhooksFixture>
{
    private HttpClient Http => api.Http;

    [Fact]
    public async Task Every_event_is_delivered_once_with_a_signature_an_independent_verifier_accepts()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpoint, secret) = await CreateEndpointAsync(Http, owner, receiver.Url);
        var callSid = Seed.NewCallSid();
        var call = await Seed.CallAsync(api.Admin, workspace, callSid);

        var events = await InsertCallEventsAsync(api.Admin, workspace, call, callSid);
        var voicemail = await InsertEventAsync(api.Admin, workspace, "voicemail.recorded", call, 5,
            $$"""{"voicemailId":"{{Guid.NewGuid()}}","callSid":"{{callSid}}","recordingSid":"RE0123","durationSeconds":7}""");
        Guid[] all = [.. events, voicemail];

        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", endpoint) == all.Length));
        var received = receiver.Received;
        Assert.Equal(all.Select(e => e.ToString()), received.Select(r => r.Id));
        foreach (var request in received)
        {
            Assert.True(IndependentWebhookVerifier.Verifies(secret, request), $"signature of {request.Id}: {request.Signature}");
            Assert.False(IndependentWebhookVerifier.Verifies(WebhookSecretForOtherEndpoint, request));
            var json = request.Json;
            Assert.Equal(request.Id, json.GetProperty("id").GetString());
            Assert.Equal(workspace, json.GetProperty("workspaceId").GetGuid());
            Assert.Equal(call, json.GetProperty("callId").GetGuid());
            Assert.Equal(callSid, json.GetProperty("data").GetProperty("callSid").GetString());
            Assert.EndsWith("Z", json.GetProperty("timestamp").GetString());
        }
        Assert.Equal(["call.ringing", "call.answered", "call.routed", "call.completed", "voicemail.recorded"], received.Select(r => r.Type));
        Assert.Equal([1, 2, 3, 4, 5], received.Select(r => r.Json.GetProperty("sequence").GetInt32()));
        Assert.Equal(42, received[3].Json.GetProperty("data").GetProperty("durationSeconds").GetInt32());

        // One attempt each, logged.
        Assert.Equal(all.Length, await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1 AND a.status_code = 200", endpoint));
    }

    private static readonly string WebhookSecretForOtherEndpoint = "whsec_" + Convert.ToBase64String(new byte[32]);

    [Fact]
    public async Task An_endpoint_down_for_a_while_gets_every_event_once_it_is_back_and_each_attempt_is_logged()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.AlwaysAnswer(500);
        var (endpoint, secret) = await CreateEndpointAsync(Http, owner, receiver.Url);
        var events = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            events.Add(await InsertEventAsync(api.Admin, workspace, "call.completed", data: $$"""{"n":{{i}}}"""));
        }

        // Down: every event is tried, and tried again, and none is given up.
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(
            events.All(e => receiver.Received.Count(r => r.Id == e.ToString()) >= 3))));
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status IN ('delivered', 'dead')", endpoint));

        receiver.AlwaysAnswer(204);
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", endpoint) == events.Count));

        var delivered = receiver.Received.Where(r => r.Succeeded).ToList();
        Assert.Equal(events.Select(e => e.ToString()).Order(), delivered.Select(r => r.Id).Order());
        Assert.All(receiver.Received, r => Assert.True(IndependentWebhookVerifier.Verifies(secret, r)));
        // The same webhook-id on every attempt, and the log has one row per attempt the receiver saw.
        foreach (var eventId in events)
        {
            var attempts = receiver.Received.Count(r => r.Id == eventId.ToString());
            var detail = await JsonAsync(Http, HttpMethod.Get,
                $"{EndpointsPath}/{endpoint}/deliveries/{await DeliveryIdAsync(endpoint, eventId)}", owner);
            Assert.Equal("delivered", detail.GetProperty("delivery").GetProperty("status").GetString());
            Assert.Equal(attempts, detail.GetProperty("delivery").GetProperty("attemptCount").GetInt32());
            var logged = detail.GetProperty("attempts").EnumerateArray().ToList();
            Assert.Equal(attempts, logged.Count);
            Assert.All(logged[..^1], a =>
            {
                Assert.Equal(500, a.GetProperty("statusCode").GetInt32());
                Assert.StartsWith("HTTP 500", a.GetProperty("error").GetString());
            });
            Assert.Equal(204, logged[^1].GetProperty("statusCode").GetInt32());
        }
        // The streak ended with the first success.
        Assert.Equal(0, await Seed.ScalarAsync<int>(api.Admin, "SELECT consecutive_failures FROM webhook_endpoints WHERE id = $1", endpoint));
    }

    [Fact]
    public async Task A_hanging_endpoint_does_not_hold_up_a_healthy_one()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var hanging = await WebhookReceiver.StartAsync();
        await using var healthy = await WebhookReceiver.StartAsync();
        hanging.AlwaysAnswer(0);
        var (hangingEndpoint, _) = await CreateEndpointAsync(Http, owner, hanging.Url);
        var (healthyEndpoint, _) = await CreateEndpointAsync(Http, owner, healthy.Url);

        var events = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            events.Add(await InsertEventAsync(api.Admin, workspace, "call.ringing"));
        }

        // All twenty reach the healthy endpoint while the hanging one still holds its requests
        // open (it never answers before it is released).
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(healthy.Received.Count(r => r.Succeeded) == events.Count)));
        Assert.True(Volatile.Read(ref hanging.Hanging) > 0);
        Assert.DoesNotContain(hanging.Received, r => r.Succeeded);
        Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", hangingEndpoint));
        // Bounded: no more requests at once than the per-endpoint limit.
        Assert.InRange(hanging.Received.Count, 1, 2);

        hanging.AlwaysAnswer(200);
        hanging.ReleaseHung();
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", hangingEndpoint) == events.Count));
        Assert.Equal(events.Count, await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", healthyEndpoint));
    }

    [Fact]
    public async Task A_calls_later_events_wait_while_an_earlier_one_keeps_failing()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var callSid = Seed.NewCallSid();
        var call = await Seed.CallAsync(api.Admin, workspace, callSid);
        var otherCall = await Seed.CallAsync(api.Admin, workspace, Seed.NewCallSid());
        // The call's first event fails four times, and until another call's event has gone through.
        var failuresLeft = 4;
        var otherCallDelivered = false;
        receiver.Answer = r =>
        {
            var json = r.Json;
            if (json.GetProperty("callId").GetString() == otherCall.ToString())
            {
                Volatile.Write(ref otherCallDelivered, true);
                return 200;
            }
            var isFirst = json.GetProperty("callId").GetString() == call.ToString() && json.GetProperty("sequence").GetInt32() == 1;
            return isFirst && (Interlocked.Decrement(ref failuresLeft) >= 0 || !Volatile.Read(ref otherCallDelivered)) ? 503 : 200;
        };
        var (endpoint, _) = await CreateEndpointAsync(Http, owner, receiver.Url);

        var first = await InsertEventAsync(api.Admin, workspace, "call.ringing", call, 1);
        var second = await InsertEventAsync(api.Admin, workspace, "call.answered", call, 2);
        var third = await InsertEventAsync(api.Admin, workspace, "call.completed", call, 3);
        var unrelated = await InsertEventAsync(api.Admin, workspace, "call.ringing", otherCall, 1);

        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", endpoint) == 4));
        var received = receiver.Received;
        Assert.True(received.Count(r => r.Id == first.ToString()) >= 5);
        // Nothing of the call went out before its first event was accepted, and then in order.
        var firstAccepted = received.First(r => r.Id == first.ToString() && r.Succeeded).Sequence;
        Assert.All(received.Where(r => r.Id == second.ToString() || r.Id == third.ToString()), r => Assert.True(r.Sequence > firstAccepted));
        Assert.True(received.Single(r => r.Id == second.ToString()).Sequence < received.Single(r => r.Id == third.ToString()).Sequence);
        // Another call is not held up by this one's failures.
        Assert.True(received.Single(r => r.Id == unrelated.ToString()).Sequence < firstAccepted);
    }

    [Fact]
    public async Task A_resend_delivers_the_same_webhook_id_again_and_logs_the_attempt()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpoint, secret) = await CreateEndpointAsync(Http, owner, receiver.Url);
        var eventId = await InsertEventAsync(api.Admin, workspace, "voicemail.summarized", data: """{"status":"completed","summary":"Call back"}""");
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, eventId) == "delivered"));
        var deliveryId = await DeliveryIdAsync(endpoint, eventId);

        var resend = await SendAsync(Http, HttpMethod.Post, $"{EndpointsPath}/{endpoint}/deliveries/{deliveryId}/resend", owner);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, resend.StatusCode);

        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Count(r => r.Succeeded) == 2)));
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, eventId) == "delivered"));
        Assert.All(receiver.Received, r =>
        {
            Assert.Equal(eventId.ToString(), r.Id);
            Assert.True(IndependentWebhookVerifier.Verifies(secret, r));
        });
        Assert.Equal(receiver.Received[0].Body, receiver.Received[1].Body);
        var detail = await JsonAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{endpoint}/deliveries/{deliveryId}", owner);
        Assert.Equal(2, detail.GetProperty("attempts").GetArrayLength());
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_deliveries WHERE event_id = $1", eventId));
    }

    [Fact]
    public async Task During_a_rotation_both_secrets_sign_and_each_signature_verifies_with_its_own_secret()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpoint, oldSecret) = await CreateEndpointAsync(Http, owner, receiver.Url);

        var rotated = await JsonAsync(Http, HttpMethod.Post, $"{EndpointsPath}/{endpoint}/rotate-secret", owner);
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", newSecret);
        Assert.NotEqual(oldSecret, newSecret);
        Assert.True(rotated.GetProperty("previousSecretExpiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(23));

        var eventId = await InsertEventAsync(api.Admin, workspace, "call.ringing");
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, eventId) == "delivered"));
        var request = Assert.Single(receiver.Received);
        var signatures = request.Signature.Split(' ');
        Assert.Equal(2, signatures.Length);
        var byNew = IndependentWebhookVerifier.Matching(newSecret, request.Id, request.Timestamp, request.Body, request.Signature);
        var byOld = IndependentWebhookVerifier.Matching(oldSecret, request.Id, request.Timestamp, request.Body, request.Signature);
        Assert.Equal(signatures[0], Assert.Single(byNew));
        Assert.Equal(signatures[1], Assert.Single(byOld));

        // After the grace period only the new secret signs.
        await Seed.ExecuteAsync(api.Admin, "UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1", endpoint);
        var later = await InsertEventAsync(api.Admin, workspace, "call.ringing");
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, later) == "delivered"));
        var last = receiver.Received.Single(r => r.Id == later.ToString());
        Assert.Single(last.Signature.Split(' '));
        Assert.True(IndependentWebhookVerifier.Verifies(newSecret, last));
        Assert.False(IndependentWebhookVerifier.Verifies(oldSecret, last));
    }

    [Fact]
    public async Task An_endpoint_gets_only_the_event_types_it_subscribed_to()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var completedOnly = await WebhookReceiver.StartAsync();
        await using var everything = await WebhookReceiver.StartAsync();
        var (filtered, _) = await CreateEndpointAsync(Http, owner, completedOnly.Url, ["call.completed", "voicemail.summarized"]);
        var (all, _) = await CreateEndpointAsync(Http, owner, everything.Url);
        var callSid = Seed.NewCallSid();
        var call = await Seed.CallAsync(api.Admin, workspace, callSid);

        var events = await InsertCallEventsAsync(api.Admin, workspace, call, callSid);

        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", all) == 4));
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, filtered, events[3]) == "delivered"));
        Assert.Equal([events[3].ToString()], completedOnly.Received.Select(r => r.Id));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1", filtered));
        Assert.Equal(events.Select(e => e.ToString()), everything.Received.Select(r => r.Id));
    }

    [Fact]
    public async Task A_workspaces_endpoint_never_gets_another_workspaces_events()
    {
        var (workspaceA, ownerA) = await WorkspaceWithOwnerAsync(api.Admin);
        var (workspaceB, ownerB) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiverA = await WebhookReceiver.StartAsync();
        await using var receiverB = await WebhookReceiver.StartAsync();
        var (endpointA, _) = await CreateEndpointAsync(Http, ownerA, receiverA.Url);
        var (endpointB, _) = await CreateEndpointAsync(Http, ownerB, receiverB.Url);

        var eventsA = new List<Guid>();
        var eventsB = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            eventsA.Add(await InsertEventAsync(api.Admin, workspaceA, "call.ringing"));
            eventsB.Add(await InsertEventAsync(api.Admin, workspaceB, "call.ringing"));
        }

        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ANY ($1) AND status = 'delivered'", new[] { endpointA, endpointB }) == 10));
        // Events of no call carry no order between them: compared as sets.
        Assert.Equal(eventsA.Select(e => e.ToString()).Order(), receiverA.Received.Select(r => r.Id).Order());
        Assert.Equal(eventsB.Select(e => e.ToString()).Order(), receiverB.Received.Select(r => r.Id).Order());
        Assert.All(receiverA.Received, r => Assert.Equal(workspaceA, r.Json.GetProperty("workspaceId").GetGuid()));
        // Nor can B read A's log.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{endpointA}/deliveries", ownerB)).StatusCode);
        var deliveryA = await DeliveryIdAsync(endpointA, eventsA[0]);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await SendAsync(Http, HttpMethod.Get, $"{EndpointsPath}/{endpointB}/deliveries/{deliveryA}", ownerB)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await SendAsync(Http, HttpMethod.Post, $"{EndpointsPath}/{endpointB}/deliveries/{deliveryA}/resend", ownerB)).StatusCode);
    }

    [Fact]
    public async Task An_endpoint_gets_nothing_while_disabled_and_the_fan_out_moves_past_it()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpoint, _) = await CreateEndpointAsync(Http, owner, receiver.Url);
        await JsonAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{endpoint}", owner, new { enabled = false });
        var whileDisabled = await InsertEventAsync(api.Admin, workspace, "call.ringing");
        // The fan-out has passed the event while the endpoint was disabled.
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<bool>(api.Admin,
            "SELECT (c.tx_id, c.position) >= (e.tx_id, e.position) FROM webhook_dispatch_cursor c, domain_events e WHERE e.id = $1", whileDisabled)));
        await JsonAsync(Http, HttpMethod.Patch, $"{EndpointsPath}/{endpoint}", owner, new { enabled = true });
        var afterwards = await InsertEventAsync(api.Admin, workspace, "call.answered");

        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, afterwards) == "delivered"));
        Assert.Null(await DeliveryStatusAsync(api.Admin, endpoint, whileDisabled));
        Assert.Equal([afterwards.ToString()], receiver.Received.Select(r => r.Id));
    }

    [Fact]
    public async Task A_fan_out_that_finds_another_replica_holding_the_cursor_does_not_queue_on_it_and_delivers_once_it_is_free()
    {
        var (workspace, owner) = await WorkspaceWithOwnerAsync(api.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpoint, _) = await CreateEndpointAsync(Http, owner, receiver.Url);

        // Another replica fanning out: the cursor's row locked in an open transaction.
        await using var otherReplica = new NpgsqlConnection(api.Admin);
        await otherReplica.OpenAsync();
        await using var holding = await otherReplica.BeginTransactionAsync();
        await using (var lockCursor = new NpgsqlCommand("SELECT position FROM webhook_dispatch_cursor FOR UPDATE", otherReplica, holding))
        {
            await lockCursor.ExecuteScalarAsync();
        }
        var eventId = await InsertEventAsync(api.Admin, workspace, "call.ringing");

        // Woken by the event (and by its fallback tick every second), the service's fan-out tries the
        // cursor; it skips it rather than waiting on the row, so no backend of its ever waits for the lock.
        for (var sample = 0; sample < 50; sample++)
        {
            Assert.Equal(0L, await Seed.ScalarAsync<long>(api.Admin, """
                SELECT count(*) FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query LIKE '%webhook_dispatch_cursor%' AND pid <> pg_backend_pid()
                """));
            await Task.Delay(50);
        }
        Assert.Null(await DeliveryStatusAsync(api.Admin, endpoint, eventId));

        await holding.RollbackAsync();
        Assert.True(await Eventually.TrueAsync(async () => await DeliveryStatusAsync(api.Admin, endpoint, eventId) == "delivered"));
        Assert.Equal([eventId.ToString()], receiver.Received.Select(r => r.Id));
        Assert.Equal(1L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM webhook_deliveries WHERE event_id = $1", eventId));
    }

    private Task<Guid> DeliveryIdAsync(Guid endpoint, Guid eventId) =>
        Seed.ScalarAsync<Guid>(api.Admin, "SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id = $2", endpoint, eventId);
}
