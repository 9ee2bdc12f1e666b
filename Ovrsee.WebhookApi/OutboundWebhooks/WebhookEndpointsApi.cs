using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Auth;
using Ovrsee.Data;
using Ovrsee.WebhookApi.Events;
using Ovrsee.WebhookApi.OutboundWebhooks;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <summary>
/// A workspace's outbound webhook endpoints, their delivery log and re-sends. Owners and admins
/// only: an endpoint decides where the workspace's call data goes. Every statement runs in the
/// caller's workspace scope, so another workspace's endpoint is simply not found.
/// </summary>
public static class WebhookEndpointsApi
{
    private const string EndpointColumns = """
        id, url, event_types, enabled, disabled_reason, disabled_at, consecutive_failures, failing_since,
        CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END, created_at, updated_at
        """;

    private const string DeliveryColumns = """
        id, event_id, event_type, call_log_id, call_seq, status, attempt_count,
        CASE WHEN status IN ('pending', 'failed') THEN next_attempt_at END, last_attempt_at, last_status_code,
        last_latency_ms, last_error, delivered_at, created_at, log_position
        """;

    private static readonly string[] DeliveryStatuses = ["pending", "delivered", "failed", "dead"];

    private static readonly NamedSql CreateSql = NamedSql.Parse($"""
        INSERT INTO webhook_endpoints (workspace_id, url, event_types, enabled, secret)
        VALUES (@workspace_id, @url, @event_types, @enabled, @secret)
        RETURNING {EndpointColumns}
        """);

    // A null value leaves the column as it is. Enabling (again) starts afresh: no reason, no
    // streak. Disabling by hand records @disabled_reason (who did it).
    private static readonly NamedSql UpdateSql = NamedSql.Parse($"""
        UPDATE webhook_endpoints SET
            url = coalesce(@url, url),
            event_types = coalesce(@event_types, event_types),
            disabled_reason = CASE WHEN @enabled IS NULL OR @enabled = enabled THEN disabled_reason
                                   WHEN @enabled THEN NULL ELSE @disabled_reason END,
            disabled_at = CASE WHEN @enabled IS NULL OR @enabled = enabled THEN disabled_at WHEN @enabled THEN NULL ELSE now() END,
            consecutive_failures = CASE WHEN @enabled AND NOT enabled THEN 0 ELSE consecutive_failures END,
            failing_since = CASE WHEN @enabled AND NOT enabled THEN NULL ELSE failing_since END,
            enabled = coalesce(@enabled, enabled),
            updated_at = now()
        WHERE id = @id
        RETURNING {EndpointColumns}
        """);

    private static readonly NamedSql RotateSecretSql = NamedSql.Parse($"""
        UPDATE webhook_endpoints
        SET previous_secret = secret, previous_secret_expires_at = now() + @grace_period, secret = @secret, updated_at = now()
        WHERE id = @id
        RETURNING {EndpointColumns}
        """);

    private static readonly NamedSql DeliveriesSql = NamedSql.Parse($"""
        SELECT {DeliveryColumns}
        FROM webhook_deliveries
        WHERE endpoint_id = @endpoint_id AND log_position < @before
          AND (cardinality(@statuses::text[]) = 0 OR status = ANY (@statuses))
        ORDER BY log_position DESC
        LIMIT @limit
        """);

    public static RouteGroupBuilder MapWebhookEndpointsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/aloha/webhook-endpoints")
            .RequireWorkspace("owner", "admin")
            .WithTags("Webhook endpoints");

        api.MapPost("/", CreateEndpoint)
            .WithName("CreateWebhookEndpoint")
            .WithSummary("Registers an endpoint for signed webhooks (Standard Webhooks). The answer carries its signing secret (whsec_…), shown only here.");
        api.MapGet("/", ListEndpoints)
            .WithName("ListWebhookEndpoints")
            .WithSummary("The workspace's webhook endpoints, oldest first, with their state (enabled, disabled reason, failure streak).");
        api.MapGet("/{id}", GetEndpoint)
            .WithName("GetWebhookEndpoint")
            .WithSummary("One webhook endpoint.");
        api.MapPatch("/{id}", UpdateEndpoint)
            .WithName("UpdateWebhookEndpoint")
            .WithSummary("Changes an endpoint's URL, event types or enabled flag. Re-enabling clears the disabled reason and the failure streak.");
        api.MapDelete("/{id}", DeleteEndpoint)
            .WithName("DeleteWebhookEndpoint")
            .WithSummary("Deletes an endpoint with its delivery log; nothing more is sent to it.");
        api.MapPost("/{id}/rotate-secret", RotateSecret)
            .WithName("RotateWebhookSecret")
            .WithSummary("Issues a new signing secret (in the answer). The previous one keeps signing, as a second signature, for the grace period (24 h), so receivers switch without downtime.");
        api.MapGet("/{id}/deliveries", ListDeliveries)
            .WithName("ListWebhookDeliveries")
            .WithSummary("The endpoint's delivery log, newest first, with cursor paging: status, attempts, last status code, latency and error per event.");
        api.MapGet("/{id}/deliveries/{deliveryId}", GetDelivery)
            .WithName("GetWebhookDelivery")
            .WithSummary("One delivery with every attempt (time, status code, latency, error).");
        api.MapPost("/{id}/deliveries/{deliveryId}/resend", ResendDelivery)
            .WithName("ResendWebhookDelivery")
            .WithSummary("Queues the delivery again now, with the same webhook-id (receivers de-duplicate by it) and a fresh retry window.");
        return api;
    }

    public static async Task<Results<Created<WebhookEndpoint>, ValidationProblem, ProblemHttpResult>> CreateEndpoint(
        WebhookEndpointRequest request, HttpContext context, NpgsqlDataSource dataSource, WebhookUrlPolicy policy,
        IOptions<OutboundWebhookOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (request.Url is null)
        {
            return Invalid("url", "Required.", "url-missing");
        }
        if (CheckUrl(policy, request.Url, out var urlProblem) is not { } url)
        {
            return urlProblem!;
        }
        if (CheckEventTypes(request.EventTypes, out var typesProblem) is not { } eventTypes)
        {
            return typesProblem!;
        }

        var workspace = context.GetWorkspace();
        var secret = WebhookSignature.NewSecret();
        await using var scope = await workspace.BeginScopeAsync(dataSource, cancellationToken);
        // Serialises creates in one workspace so the count below cannot be raced past.
        await using (var lockWorkspace = scope.CreateCommand("SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1::text, 0))"))
        {
            lockWorkspace.Parameters.Add(new NpgsqlParameter { Value = workspace.WorkspaceId, NpgsqlDbType = NpgsqlDbType.Uuid });
            await lockWorkspace.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var count = scope.CreateCommand("SELECT count(*) FROM webhook_endpoints"))
        {
            var max = options.Value.MaxEndpointsPerWorkspace;
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= max)
            {
                return TypedResults.Problem(statusCode: 409, title: "Too many webhook endpoints",
                    detail: $"A workspace has at most {max} webhook endpoints; delete one first.");
            }
        }
        WebhookEndpoint created;
        await using (var insert = scope.CreateCommand(CreateSql.Text))
        {
            CreateSql.Bind()
                .Set("workspace_id", workspace.WorkspaceId, NpgsqlDbType.Uuid)
                .Set("url", url.AbsoluteUri, NpgsqlDbType.Text)
                .Set("event_types", eventTypes, NpgsqlDbType.Array | NpgsqlDbType.Text)
                .Set("enabled", request.Enabled ?? true, NpgsqlDbType.Boolean)
                .Set("secret", secret, NpgsqlDbType.Text)
                .AddTo(insert.Parameters);
            created = (await ReadEndpointsAsync(insert, cancellationToken))[0] with { Secret = secret };
        }
        await scope.CommitAsync(cancellationToken);
        // Where a workspace's call data is sent is worth keeping.
        loggers.CreateLogger(typeof(WebhookEndpointsApi)).LogInformation(
            "Workspace {WorkspaceId} webhook endpoint {EndpointId} created ({Host}) by user {UserId}",
            workspace.WorkspaceId, created.Id, url.Authority, workspace.UserId);
        return TypedResults.Created($"/api/aloha/webhook-endpoints/{created.Id}", created);
    }

    public static async Task<Ok<IReadOnlyList<WebhookEndpoint>>> ListEndpoints(HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        await using var command = scope.CreateCommand($"SELECT {EndpointColumns} FROM webhook_endpoints ORDER BY created_at, id");
        return TypedResults.Ok<IReadOnlyList<WebhookEndpoint>>(await ReadEndpointsAsync(command, cancellationToken));
    }

    public static async Task<Results<Ok<WebhookEndpoint>, ProblemHttpResult, ValidationProblem>> GetEndpoint(
        string id, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        var endpoint = await FindEndpointAsync(scope, endpointId, cancellationToken);
        return endpoint is null ? EndpointNotFound() : TypedResults.Ok(endpoint);
    }

    public static async Task<Results<Ok<WebhookEndpoint>, ProblemHttpResult, ValidationProblem>> UpdateEndpoint(
        string id, WebhookEndpointRequest request, HttpContext context, NpgsqlDataSource dataSource, WebhookUrlPolicy policy,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        Uri? url = null;
        if (request.Url is not null && (url = CheckUrl(policy, request.Url, out var urlProblem)) is null)
        {
            return urlProblem!;
        }
        string[]? eventTypes = null;
        if (request.EventTypes is not null && (eventTypes = CheckEventTypes(request.EventTypes, out var typesProblem)) is null)
        {
            return typesProblem!;
        }

        var workspace = context.GetWorkspace();
        await using var scope = await workspace.BeginScopeAsync(dataSource, cancellationToken);
        await using var update = scope.CreateCommand(UpdateSql.Text);
        UpdateSql.Bind()
            .Set("id", endpointId, NpgsqlDbType.Uuid)
            .Set("url", url?.AbsoluteUri, NpgsqlDbType.Text)
            .Set("event_types", eventTypes, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("enabled", request.Enabled, NpgsqlDbType.Boolean)
            .Set("disabled_reason", $"Disabled by user {workspace.UserId} ({workspace.Role}).", NpgsqlDbType.Text)
            .AddTo(update.Parameters);
        var updated = await ReadEndpointsAsync(update, cancellationToken);
        if (updated.Count == 0)
        {
            return EndpointNotFound();
        }
        await scope.CommitAsync(cancellationToken);
        if (url is not null || request.Enabled is not null)
        {
            loggers.CreateLogger(typeof(WebhookEndpointsApi)).LogInformation(
                "Workspace {WorkspaceId} webhook endpoint {EndpointId} updated ({Host}, enabled {Enabled}) by user {UserId}",
                workspace.WorkspaceId, endpointId, new Uri(updated[0].Url).Authority, updated[0].Enabled, workspace.UserId);
        }
        return TypedResults.Ok(updated[0]);
    }

    public static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteEndpoint(
        string id, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        await using var delete = scope.CreateCommand("DELETE FROM webhook_endpoints WHERE id = $1");
        delete.Parameters.Add(new NpgsqlParameter { Value = endpointId, NpgsqlDbType = NpgsqlDbType.Uuid });
        if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return EndpointNotFound();
        }
        await scope.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<WebhookEndpoint>, ProblemHttpResult, ValidationProblem>> RotateSecret(
        string id, HttpContext context, NpgsqlDataSource dataSource, IOptions<OutboundWebhookOptions> options, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        var secret = WebhookSignature.NewSecret();
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        // Only the secret being replaced keeps signing: a rotation during another's grace period
        // retires the oldest one at once.
        await using var rotate = scope.CreateCommand(RotateSecretSql.Text);
        RotateSecretSql.Bind()
            .Set("id", endpointId, NpgsqlDbType.Uuid)
            .Set("secret", secret, NpgsqlDbType.Text)
            .Set("grace_period", options.Value.SecretRotationGracePeriod, NpgsqlDbType.Interval)
            .AddTo(rotate.Parameters);
        var rotated = await ReadEndpointsAsync(rotate, cancellationToken);
        if (rotated.Count == 0)
        {
            return EndpointNotFound();
        }
        await scope.CommitAsync(cancellationToken);
        return TypedResults.Ok(rotated[0] with { Secret = secret });
    }

    /// <param name="status">Comma-separated statuses: pending, failed, delivered, dead.</param>
    /// <param name="limit">Page size, 1-200 (default 50).</param>
    /// <param name="cursor">nextCursor from the previous page.</param>
    public static async Task<Results<Ok<WebhookDeliveryPage>, ProblemHttpResult, ValidationProblem>> ListDeliveries(
        string id, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken,
        string? status = null, string? limit = null, string? cursor = null)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        var errors = new Dictionary<string, string[]>();
        var statuses = status?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (statuses.Any(s => !DeliveryStatuses.Contains(s)))
        {
            errors["status"] = [$"Comma-separated, each one of {string.Join(", ", DeliveryStatuses)}."];
        }
        var pageSize = 50;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 200))
        {
            errors["limit"] = ["A number from 1 to 200."];
        }
        long before = long.MaxValue;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before) || before < 1))
        {
            errors["cursor"] = ["Must be the nextCursor of a previous page."];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid delivery log query.");
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        if (await FindEndpointAsync(scope, endpointId, cancellationToken) is null)
        {
            return EndpointNotFound();
        }
        await using var command = scope.CreateCommand(DeliveriesSql.Text);
        DeliveriesSql.Bind()
            .Set("endpoint_id", endpointId, NpgsqlDbType.Uuid)
            .Set("before", before, NpgsqlDbType.Bigint)
            .Set("statuses", statuses, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("limit", pageSize + 1, NpgsqlDbType.Integer)
            .AddTo(command.Parameters);
        var (items, positions) = await ReadDeliveriesAsync(command, cancellationToken);
        string? next = null;
        if (items.Count > pageSize)
        {
            items.RemoveAt(pageSize);
            next = positions[pageSize - 1].ToString(CultureInfo.InvariantCulture);
        }
        return TypedResults.Ok(new WebhookDeliveryPage(items, next));
    }

    public static async Task<Results<Ok<WebhookDeliveryDetail>, ProblemHttpResult, ValidationProblem>> GetDelivery(
        string id, string deliveryId, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        if (!Guid.TryParse(deliveryId, out var deliveryGuid))
        {
            return InvalidId("deliveryId", "delivery");
        }
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        var delivery = await FindDeliveryAsync(scope, endpointId, deliveryGuid, cancellationToken);
        if (delivery is null)
        {
            return DeliveryNotFound();
        }
        await using var command = scope.CreateCommand("""
            SELECT attempted_at, status_code, latency_ms, error FROM webhook_delivery_attempts
            WHERE delivery_id = $1 ORDER BY id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = deliveryGuid, NpgsqlDbType = NpgsqlDbType.Uuid });
        var attempts = new List<WebhookDeliveryAttempt>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                attempts.Add(new WebhookDeliveryAttempt(reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetInt32(1),
                    reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }
        return TypedResults.Ok(new WebhookDeliveryDetail(delivery, attempts));
    }

    public static async Task<Results<Accepted<WebhookDelivery>, ProblemHttpResult, ValidationProblem>> ResendDelivery(
        string id, string deliveryId, HttpContext context, NpgsqlDataSource dataSource, WebhookSenderSignal sender, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var endpointId))
        {
            return InvalidId("id", "endpoint");
        }
        if (!Guid.TryParse(deliveryId, out var deliveryGuid))
        {
            return InvalidId("deliveryId", "delivery");
        }
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        // Same row, same event id (webhook-id); a fresh retry window from now.
        await using var command = scope.CreateCommand($"""
            UPDATE webhook_deliveries
            SET status = 'pending', next_attempt_at = now(), queued_at = now(), delivered_at = NULL
            WHERE id = $2 AND endpoint_id = $1
            RETURNING {DeliveryColumns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = endpointId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveryGuid, NpgsqlDbType = NpgsqlDbType.Uuid });
        var (items, _) = await ReadDeliveriesAsync(command, cancellationToken);
        if (items.Count == 0)
        {
            return DeliveryNotFound();
        }
        await scope.CommitAsync(cancellationToken);
        sender.Wake();
        return TypedResults.Accepted($"/api/aloha/webhook-endpoints/{endpointId}/deliveries/{deliveryGuid}", items[0]);
    }

    private static Uri? CheckUrl(WebhookUrlPolicy policy, string url, out ValidationProblem? problem)
    {
        var checkedUrl = policy.Check(url, out var reason);
        problem = checkedUrl is null ? Invalid("url", WebhookUrlPolicy.Explain(reason), reason) : null;
        return checkedUrl;
    }

    private static string[]? CheckEventTypes(string[]? eventTypes, out ValidationProblem? problem)
    {
        problem = null;
        if (eventTypes is null)
        {
            return [];
        }
        var unknown = eventTypes.Where(t => t is null || !DomainEvent.Types.Contains(t)).ToArray();
        if (unknown.Length > 0)
        {
            problem = Invalid("eventTypes", $"Unknown event type(s): {string.Join(", ", unknown.Select(t => t ?? "null"))}. Known: {string.Join(", ", DomainEvent.Types)}.", "event-type-unknown");
            return null;
        }
        return [.. eventTypes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static async Task<WebhookEndpoint?> FindEndpointAsync(WorkspaceScope scope, Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = endpointId, NpgsqlDbType = NpgsqlDbType.Uuid });
        var found = await ReadEndpointsAsync(command, cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    private static async Task<WebhookDelivery?> FindDeliveryAsync(WorkspaceScope scope, Guid endpointId, Guid deliveryId, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE id = $2 AND endpoint_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = endpointId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveryId, NpgsqlDbType = NpgsqlDbType.Uuid });
        var (items, _) = await ReadDeliveriesAsync(command, cancellationToken);
        return items.Count == 0 ? null : items[0];
    }

    private static async Task<List<WebhookEndpoint>> ReadEndpointsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var endpoints = new List<WebhookEndpoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            endpoints.Add(new WebhookEndpoint(
                reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetFieldValue<DateTimeOffset>(9), reader.GetFieldValue<DateTimeOffset>(10)));
        }
        return endpoints;
    }

    private static async Task<(List<WebhookDelivery> Items, List<long> Positions)> ReadDeliveriesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<WebhookDelivery>();
        var positions = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new WebhookDelivery(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetInt32(10),
                reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                reader.GetFieldValue<DateTimeOffset>(13)));
            positions.Add(reader.GetInt64(14));
        }
        return (items, positions);
    }

    private static ValidationProblem Invalid(string field, string message, string reason) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [message] },
            title: "Invalid webhook endpoint.",
            extensions: new Dictionary<string, object?> { ["reason"] = reason });

    private static ValidationProblem InvalidId(string field, string what) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [$"Must be a {what} id (UUID)."] }, title: $"Invalid {what} id.");

    private static ProblemHttpResult EndpointNotFound() => TypedResults.Problem(statusCode: 404, title: "Webhook endpoint not found");

    private static ProblemHttpResult DeliveryNotFound() => TypedResults.Problem(statusCode: 404, title: "Webhook delivery not found");
}
