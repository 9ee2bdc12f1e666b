using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Data;
using Ovrsee.WebhookApi.Events;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.OutboundWebhooks;

/// <summary>
/// Sends due deliveries. A claim (FOR UPDATE SKIP LOCKED, so replicas never take the same row)
/// moves the delivery's next_attempt_at past the request timeout — a lease — and commits; the POST
/// runs without holding a connection; the outcome, the attempt row, the retry schedule and the
/// endpoint's failure streak are written in one transaction afterwards. A sender that dies
/// mid-attempt leaves the lease to expire and the delivery is tried again (at-least-once; the
/// webhook-id lets the receiver de-duplicate).
/// <para>
/// Isolation: at most <see cref="OutboundWebhookOptions.MaxConcurrentDeliveriesPerEndpoint"/>
/// attempts per endpoint and <see cref="OutboundWebhookOptions.MaxConcurrentDeliveries"/> in all
/// are in flight, each bounded by the request timeout, and a claim only takes what has a free slot:
/// a hanging endpoint fills its own slots, never another endpoint's.
/// </para>
/// <para>
/// Per-call order: a delivery is only claimed when no earlier event (lower call_seq) of the same
/// call is still pending or failed for the same endpoint, nor still to be fanned out.
/// </para>
/// </summary>
public sealed class WebhookSender : BackgroundService
{
    private static readonly NamedSql ClaimSql = NamedSql.Parse("""
        WITH in_flight AS (
            SELECT * FROM unnest(@in_flight_endpoints::uuid[], @in_flight_counts::integer[]) AS f (endpoint_id, count)
        ), candidates AS (
            SELECT d.id, d.next_attempt_at,
                   coalesce(f.count, 0) + row_number() OVER (
                       PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.event_tx_id, d.event_position) AS slot
            FROM webhook_deliveries d
            JOIN webhook_endpoints ep ON ep.id = d.endpoint_id AND ep.enabled
            LEFT JOIN in_flight f ON f.endpoint_id = d.endpoint_id
            WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= now()
              AND (d.call_log_id IS NULL OR d.call_seq IS NULL OR (
                  NOT EXISTS (
                      SELECT 1 FROM webhook_deliveries earlier
                      WHERE earlier.endpoint_id = d.endpoint_id AND earlier.call_log_id = d.call_log_id
                        AND earlier.call_seq < d.call_seq AND earlier.status IN ('pending', 'failed'))
                  AND NOT EXISTS (
                      SELECT 1 FROM domain_events earlier, webhook_dispatch_cursor c
                      WHERE earlier.call_log_id = d.call_log_id AND earlier.call_seq < d.call_seq
                        AND (earlier.tx_id, earlier.position) > (c.tx_id, c.position))))
        ), chosen AS (
            SELECT d.id
            FROM webhook_deliveries d
            JOIN candidates c ON c.id = d.id
            WHERE c.slot <= @max_per_endpoint
              -- Re-checked on the row actually locked, if another sender changed it meanwhile.
              AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= now()
            ORDER BY c.slot, c.next_attempt_at
            LIMIT @limit
            FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE webhook_deliveries d
        SET next_attempt_at = now() + @lease
        FROM chosen, webhook_endpoints ep, domain_events ev
        WHERE d.id = chosen.id AND ep.id = d.endpoint_id AND ev.id = d.event_id
        RETURNING d.id, d.endpoint_id, d.workspace_id, d.attempt_count, ep.url, ep.secret,
                  CASE WHEN ep.previous_secret_expires_at > now() THEN ep.previous_secret END,
                  ev.position, ev.tx_id::text, ev.id, ev.workspace_id, ev.call_log_id, ev.call_seq, ev.type, ev.occurred_at, ev.data::text
        """);

    private static readonly NamedSql LogAttemptSql = NamedSql.Parse("""
        INSERT INTO webhook_delivery_attempts (delivery_id, workspace_id, attempted_at, status_code, latency_ms, error)
        SELECT id, workspace_id, @attempted_at, @status_code::integer, @latency_ms, @error::text FROM webhook_deliveries WHERE id = @id
        """);

    private static readonly NamedSql DeliveredSql = NamedSql.Parse("""
        UPDATE webhook_deliveries
        SET status = 'delivered', attempt_count = attempt_count + 1, last_attempt_at = @attempted_at, last_status_code = @status_code,
            last_latency_ms = @latency_ms, last_error = NULL, delivered_at = now()
        WHERE id = @id
        """);

    private const string EndpointSucceededSql = """
        UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL
        WHERE id = $1 AND consecutive_failures > 0
        """;

    /// <remarks>Dead once the retry window (from queued_at) has passed; otherwise the next retry is due after @retry_delay.</remarks>
    private static readonly NamedSql FailedSql = NamedSql.Parse("""
        UPDATE webhook_deliveries
        SET status = CASE WHEN now() - queued_at >= @retry_window THEN 'dead' ELSE 'failed' END,
            attempt_count = attempt_count + 1, last_attempt_at = @attempted_at, last_status_code = @status_code::integer,
            last_latency_ms = @latency_ms, last_error = @error::text, next_attempt_at = now() + @retry_delay
        WHERE id = @id AND status IN ('pending', 'failed')
        RETURNING status
        """);

    private const string EndpointFailedSql = """
        UPDATE webhook_endpoints
        SET consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, $2)
        WHERE id = $1
        """;

    private static readonly NamedSql AutoDisableSql = NamedSql.Parse("""
        UPDATE webhook_endpoints
        SET enabled = false, disabled_at = now(), updated_at = now(),
            disabled_reason = format('Disabled automatically after %s consecutive failed deliveries since %s (last: %s).',
                                     consecutive_failures, to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), @last_error::text)
        WHERE id = @id AND enabled AND consecutive_failures >= @after_failures AND now() - failing_since >= @failing_for
        RETURNING disabled_reason
        """);

    private readonly NpgsqlDataSource _dataSource;
    private readonly WebhookSenderSignal _signal;
    private readonly OutboundWebhookOptions _options;
    private readonly ILogger<WebhookSender> _logger;
    private readonly HttpClient _http;
    private readonly Dictionary<Guid, int> _inFlight = [];
    private int _totalInFlight;

    public WebhookSender(NpgsqlDataSource dataSource, WebhookSenderSignal signal, WebhookUrlPolicy policy,
        IOptions<OutboundWebhookOptions> options, ILogger<WebhookSender> logger)
    {
        _dataSource = dataSource;
        _signal = signal;
        _options = options.Value;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Every connection goes through the SSRF rules on the address actually dialled (no
            // proxy: through one, the callback would only see the proxy's address).
            ConnectCallback = policy.Addresses.ConnectAsync,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = _options.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = _options.MaxConcurrentDeliveriesPerEndpoint,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Ovrsee-Webhooks", "1.0"));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = _signal.Next;
            try
            {
                var free = _options.MaxConcurrentDeliveries - Volatile.Read(ref _totalInFlight);
                var claimed = free > 0 ? await ClaimAsync(free, stoppingToken) : [];
                delay = TimeSpan.FromSeconds(1);
                foreach (var delivery in claimed)
                {
                    _ = Task.Run(() => SendAndRecordAsync(delivery, stoppingToken), CancellationToken.None);
                }
                if (claimed.Count > 0 && claimed.Count == free)
                {
                    continue;
                }
                await Task.WhenAny(next, Task.Delay(_options.SenderPollInterval, stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                _logger.LogWarning(exception, "Claiming webhook deliveries failed; retrying in {Delay}.", delay);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private sealed record ClaimedDelivery(Guid Id, Guid EndpointId, int AttemptCount, string Url, string Secret, string? PreviousSecret, DomainEvent Event);

    private async Task<List<ClaimedDelivery>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        Guid[] endpoints;
        int[] counts;
        lock (_inFlight)
        {
            endpoints = [.. _inFlight.Keys];
            counts = [.. endpoints.Select(e => _inFlight[e])];
        }

        var claimed = new List<ClaimedDelivery>();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, ClaimSql.Text, ClaimSql.Bind()
            .Set("in_flight_endpoints", endpoints, NpgsqlDbType.Array | NpgsqlDbType.Uuid)
            .Set("in_flight_counts", counts, NpgsqlDbType.Array | NpgsqlDbType.Integer)
            .Set("max_per_endpoint", (long)_options.MaxConcurrentDeliveriesPerEndpoint, NpgsqlDbType.Bigint)
            .Set("limit", limit, NpgsqlDbType.Integer)
            .Set("lease", _options.ClaimLease, NpgsqlDbType.Interval)
            .ToArray());
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var domainEvent = new DomainEvent(
                    reader.GetInt64(7), ulong.Parse(reader.GetString(8), CultureInfo.InvariantCulture), reader.GetGuid(9), reader.GetGuid(10),
                    reader.IsDBNull(11) ? null : reader.GetGuid(11), reader.IsDBNull(12) ? null : reader.GetInt32(12),
                    reader.GetString(13), reader.GetFieldValue<DateTimeOffset>(14), reader.GetString(15));
                claimed.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(3), reader.GetString(4),
                    reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), domainEvent));
            }
        }
        lock (_inFlight)
        {
            foreach (var delivery in claimed)
            {
                _inFlight[delivery.EndpointId] = _inFlight.GetValueOrDefault(delivery.EndpointId) + 1;
            }
            _totalInFlight += claimed.Count;
        }
        return claimed;
    }

    private async Task SendAndRecordAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        try
        {
            var attempt = await SendAsync(delivery, stoppingToken);
            await RecordAsync(delivery, attempt, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the claim's lease expires and the delivery is tried again.
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Recording webhook delivery {DeliveryId} failed; it is retried when its claim expires.", delivery.Id);
        }
        finally
        {
            lock (_inFlight)
            {
                if (--_inFlight[delivery.EndpointId] == 0)
                {
                    _inFlight.Remove(delivery.EndpointId);
                }
                _totalInFlight--;
            }
            _signal.Wake();
        }
    }

    private sealed record AttemptOutcome(DateTimeOffset AttemptedAt, int? StatusCode, int LatencyMs, string? Error)
    {
        public bool Delivered => StatusCode is >= 200 and < 300;
    }

    private async Task<AttemptOutcome> SendAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        var body = delivery.Event.ToJson();
        var webhookId = delivery.Event.Id.ToString();
        var attemptedAt = DateTimeOffset.UtcNow;
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, webhookId);
        request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, attemptedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader,
            WebhookSignature.Sign(webhookId, attemptedAt, body, delivery.Secret, delivery.PreviousSecret));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            string? error = null;
            if (status is < 200 or >= 300)
            {
                error = status is >= 300 and < 400
                    ? $"HTTP {status}: redirects are not followed (location: {Truncate(response.Headers.Location?.ToString(), 200)})"
                    : $"HTTP {status}{await BodySnippetAsync(response, timeout.Token)}";
            }
            return new AttemptOutcome(attemptedAt, status, Elapsed(stopwatch), error);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return new AttemptOutcome(attemptedAt, null, Elapsed(stopwatch), $"timeout: no answer within {_options.RequestTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException exception)
        {
            var error = Find<AddressNotAllowedException>(exception) is { } refused
                ? $"{AddressNotAllowedException.Reason}: {refused.Message}"
                : $"connection failed: {exception.HttpRequestError}: {exception.Message}";
            return new AttemptOutcome(attemptedAt, null, Elapsed(stopwatch), Truncate(error, 500));
        }
    }

    private async Task RecordAsync(ClaimedDelivery delivery, AttemptOutcome attempt, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await SystemPath.BeginTransactionAsync(connection, cancellationToken);
        await ExecuteAsync(connection, transaction, LogAttemptSql, LogAttemptSql.Bind()
            .Set("id", delivery.Id)
            .Set("attempted_at", attempt.AttemptedAt)
            .Set("status_code", attempt.StatusCode)
            .Set("latency_ms", attempt.LatencyMs)
            .Set("error", attempt.Error), cancellationToken);
        if (attempt.Delivered)
        {
            await ExecuteAsync(connection, transaction, DeliveredSql, DeliveredSql.Bind()
                .Set("id", delivery.Id)
                .Set("attempted_at", attempt.AttemptedAt)
                .Set("status_code", attempt.StatusCode)
                .Set("latency_ms", attempt.LatencyMs), cancellationToken);
            await ExecuteAsync(connection, transaction, EndpointSucceededSql, cancellationToken, delivery.EndpointId);
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        string? status;
        await using (var failed = Command(connection, transaction, FailedSql, FailedSql.Bind()
            .Set("id", delivery.Id)
            .Set("attempted_at", attempt.AttemptedAt)
            .Set("status_code", attempt.StatusCode)
            .Set("latency_ms", attempt.LatencyMs)
            .Set("error", attempt.Error)
            .Set("retry_delay", RetryDelay(delivery.AttemptCount + 1), NpgsqlDbType.Interval)
            .Set("retry_window", _options.RetryWindow, NpgsqlDbType.Interval)))
        {
            status = (string?)await failed.ExecuteScalarAsync(cancellationToken);
        }
        await ExecuteAsync(connection, transaction, EndpointFailedSql, cancellationToken, delivery.EndpointId, attempt.AttemptedAt);
        string? disabledReason;
        await using (var disable = Command(connection, transaction, AutoDisableSql, AutoDisableSql.Bind()
            .Set("id", delivery.EndpointId)
            .Set("after_failures", _options.AutoDisableAfterFailures)
            .Set("failing_for", _options.AutoDisableAfterFailingFor, NpgsqlDbType.Interval)
            .Set("last_error", Truncate(attempt.Error, 200) ?? "no answer")))
        {
            disabledReason = (string?)await disable.ExecuteScalarAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);

        if (status == "dead")
        {
            _logger.LogWarning("Webhook delivery {DeliveryId} of event {EventId} to endpoint {EndpointId} is dead after {Attempts} attempts: {Error}",
                delivery.Id, delivery.Event.Id, delivery.EndpointId, delivery.AttemptCount + 1, attempt.Error);
        }
        if (disabledReason is not null)
        {
            _logger.LogWarning("Webhook endpoint {EndpointId} of workspace {WorkspaceId} disabled: {Reason}",
                delivery.EndpointId, delivery.Event.WorkspaceId, disabledReason);
        }
    }

    /// <summary>
    /// Exponential backoff with jitter: InitialRetryDelay × 2^(attempt-1), capped at MaxRetryDelay,
    /// then ±25 % so that deliveries failed together do not all come back in the same second.
    /// </summary>
    public static TimeSpan RetryDelay(int attempt, TimeSpan initial, TimeSpan max, double jitter)
    {
        var exponent = Math.Min(attempt - 1, 30);
        var ticks = Math.Min(initial.Ticks * Math.Pow(2, exponent), max.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.75 + 0.5 * jitter)));
    }

    private TimeSpan RetryDelay(int attempt) =>
        RetryDelay(attempt, _options.InitialRetryDelay, _options.MaxRetryDelay, Random.Shared.NextDouble());

    private static async Task<string> BodySnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var buffer = new byte[256];
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : ": " + text;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return "";
        }
    }

    private static int Elapsed(Stopwatch stopwatch) => (int)Math.Min(stopwatch.ElapsedMilliseconds, int.MaxValue);

    private static string? Truncate(string? text, int length) => text is null || text.Length <= length ? text : text[..length];

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value },
                TimeSpan span => new NpgsqlParameter { Value = span, NpgsqlDbType = NpgsqlDbType.Interval },
                _ => new NpgsqlParameter { Value = value },
            });
        }
        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(connection, transaction, sql, values);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, NamedSql sql, NamedSql.Parameters parameters)
    {
        var command = new NpgsqlCommand(sql.Text, connection, transaction);
        parameters.AddTo(command.Parameters);
        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NamedSql sql, NamedSql.Parameters parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
