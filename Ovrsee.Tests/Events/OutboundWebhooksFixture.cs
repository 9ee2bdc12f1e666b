using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Events;

/// <summary>
/// The real WebhookApi with its delivery workers, retry delays shrunk to fractions of a second so
/// a test can watch an outage, its retries and the recovery. Auto-disable is out of reach here
/// (its own fixture tests it).
/// </summary>
public class OutboundWebhooksFixture : WebhookApiFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        // Long enough that a hanging receiver is still hanging when the test looks.
        ["OutboundWebhooks__RequestTimeout"] = "00:00:30",
        ["OutboundWebhooks__InitialRetryDelay"] = "00:00:00.100",
        ["OutboundWebhooks__MaxRetryDelay"] = "00:00:00.500",
        ["OutboundWebhooks__SenderPollInterval"] = "00:00:00.100",
        ["OutboundWebhooks__FanOutFallbackInterval"] = "00:00:01",
        ["OutboundWebhooks__AutoDisableAfterFailures"] = "100000",
        ["OutboundWebhooks__MaxConcurrentDeliveriesPerEndpoint"] = "2",
    };

    public HttpClient Http => Twilio.Http;
}

/// <summary>The owner/admin side of /api/aloha/webhook-endpoints, and events written the way the producers write them.</summary>
public static class WebhookApiClient
{
    public const string EndpointsPath = "/api/aloha/webhook-endpoints";

    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string pathAndQuery, Guid user, object? body = null, Guid? workspace = null)
    {
        var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CallsApiClient.TokenFor(user));
        if (workspace is not null)
        {
            request.Headers.Add("X-Workspace-Id", workspace.ToString());
        }
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        return await http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpClient http, HttpMethod method, string pathAndQuery, Guid user, object? body = null) =>
        await CallsApiClient.JsonAsync(await SendAsync(http, method, pathAndQuery, user, body));

    /// <summary>A workspace with an owner: who manages its endpoints.</summary>
    public static async Task<(Guid Workspace, Guid Owner)> WorkspaceWithOwnerAsync(string admin)
    {
        var workspace = await Seed.WorkspaceAsync(admin);
        var owner = Guid.NewGuid();
        await Seed.MemberAsync(admin, workspace, owner, "owner");
        return (workspace, owner);
    }

    /// <returns>The endpoint's id and its signing secret.</returns>
    public static async Task<(Guid Id, string Secret)> CreateEndpointAsync(HttpClient http, Guid owner, Uri url, string[]? eventTypes = null)
    {
        var created = await JsonAsync(http, HttpMethod.Post, EndpointsPath, owner, new { url = url.ToString(), eventTypes });
        return (created.GetProperty("id").GetGuid(), created.GetProperty("secret").GetString()!);
    }

    /// <summary>Inserts an outbox row and notifies, as the producers do (as the superuser, like any fixture).</summary>
    public static async Task<Guid> InsertEventAsync(string admin, Guid workspace, string type, Guid? callLogId = null, int? callSeq = null, string data = "{}")
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            WITH inserted AS (
                INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at, data)
                VALUES ($1, $2, $3, $4, now(), $5::jsonb) RETURNING id
            )
            SELECT id, pg_notify('ovrsee_events', '') FROM inserted
            """, connection)
        {
            Parameters =
            {
                new() { Value = workspace }, new() { Value = (object?)callLogId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid },
                new() { Value = (object?)callSeq ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer },
                new() { Value = type }, new() { Value = data },
            },
        };
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A call's four call events, in order, as one call's producers write them.</summary>
    public static async Task<Guid[]> InsertCallEventsAsync(string admin, Guid workspace, Guid callLogId, string callSid)
    {
        return
        [
            await InsertEventAsync(admin, workspace, "call.ringing", callLogId, 1, $$"""{"callSid":"{{callSid}}","from":"+14155550100","to":"+14155550199","direction":"inbound","phoneNumberId":null}"""),
            await InsertEventAsync(admin, workspace, "call.answered", callLogId, 2, $$"""{"callSid":"{{callSid}}","answeredAt":"2026-12-02T04:00:00.000Z"}"""),
            await InsertEventAsync(admin, workspace, "call.routed", callLogId, 3, $$"""{"callSid":"{{callSid}}","route":"voicemail"}"""),
            await InsertEventAsync(admin, workspace, "call.completed", callLogId, 4, $$"""{"callSid":"{{callSid}}","status":"completed","durationSeconds":42,"endedAt":"2026-12-02T04:00:42.000Z"}"""),
        ];
    }

    public static Task<string?> DeliveryStatusAsync(string admin, Guid endpoint, Guid eventId) =>
        Seed.ScalarAsync<string>(admin, "SELECT status FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id = $2", endpoint, eventId);
}
