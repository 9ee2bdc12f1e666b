using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.WebhookApi.Events;
using Ovrsee.WebhookApi.Routing;

namespace Ovrsee.WebhookApi.Webhooks;

/// <summary>What the incoming-call webhook needs to know to answer.</summary>
/// <param name="AgentStreamUrl">The workspace's external agent, if it has one.</param>
/// <param name="BuiltInAgent">The workspace chose the built-in agent: the call still goes through the media stream.</param>
/// <param name="RoutingJson">The number's routing settings as stored (null: the defaults).</param>
public sealed record IncomingCallRecord(Guid CallLogId, Guid? WorkspaceId, bool InService, bool VoicemailEnabled, string? AgentStreamUrl, bool BuiltInAgent = false, string? RoutingJson = null)
{
    public bool HasAgent => AgentStreamUrl is not null || BuiltInAgent;

    /// <summary>Where the call was sent, decided by the group commit and recorded (call.routed) by the statement that recorded the call; null when not decided there.</summary>
    public CallRoute? Route { get; init; }
}

/// <summary>What the Dial action needs to answer: the call's numbers and its number's routing now.</summary>
public sealed record DialEndedRecord(string? From, string? To, bool VoicemailEnabled, string? RoutingJson);

/// <summary>
/// Writes Twilio callbacks: one statement, one round trip, committed before we answer. Every
/// statement is idempotent (a redelivery changes nothing) and order-independent (status moves
/// only to a higher (rank, SequenceNumber)), so retries, duplicates, reordering and spool
/// replays all converge on the same call log and timeline. Cross-tenant by nature: Twilio tells
/// us a CallSid or a dialled number, not a workspace, hence SystemPath.
/// </summary>
/// <param name="routing">Decides incoming calls' routes before their statement, which writes call.routed with the call; null: not decided here.</param>
/// <param name="events">Told after each commit that may have written domain events, to wake their readers.</param>
public sealed class CallbackRecorder(NpgsqlDataSource dataSource, CallRouting? routing = null, EventSignal? events = null)
{
    /// <summary>Any callback, for replays: what matters is that it is stored.</summary>
    public async Task RecordAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        switch (callback.Kind)
        {
            case CallbackKind.IncomingCall:
            case CallbackKind.CallStatus:
                await RecordCallAsync(callback, cancellationToken);
                break;
            case CallbackKind.VoicemailRecorded:
            case CallbackKind.VoicemailTranscribed:
                await ExecuteAsync(VoicemailCommand(callback), cancellationToken);
                break;
            case CallbackKind.StreamEnded:
                await RecordStreamEndedAsync(callback, cancellationToken);
                break;
            case CallbackKind.DialEnded:
                await RecordDialEndedAsync(callback, cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(callback), callback.Kind, "Unknown callback kind");
        }
    }

    private static readonly NamedSql StreamEndedSql = NamedSql.Parse("WITH " + EnsureCallSql + """
        ,
        event AS (
            INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, occurred_at, dedupe_key, payload)
            SELECT call.id, call.workspace_id, @call_sid, 'stream-ended', @occurred_at, 'stream-ended', @payload
            FROM call
            ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        )
        SELECT EXISTS (SELECT FROM call_events WHERE call_sid = @call_sid AND kind = 'agent-handled')
           AND NOT EXISTS (SELECT FROM call_events WHERE call_sid = @call_sid AND kind = 'transfer-failed')
        """);

    /// <summary>
    /// Records that the media stream ended; true when the voice agent handled the call. A transfer
    /// that failed means the caller still wanted someone: false, so they reach voicemail.
    /// </summary>
    public async Task<bool> RecordStreamEndedAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, StreamEndedSql.Text, StreamEndedSql.Bind()
            .Set("call_sid", Text(callback.CallSid))
            .Set("account_sid", Text(callback.Get("AccountSid")))
            .Set("occurred_at", callback.OccurredAt, NpgsqlDbType.TimestampTz)
            .Set("payload", Payload(callback))
            .ToArray());
        return await batch.ExecuteScalarAsync(cancellationToken) is true;
    }

    // One timeline entry per ringing attempt (the target's index in the signed action URL), so a
    // redelivered or late Dial callback changes nothing; the call's outcome is derived from these
    // entries at read time, never overwritten. The routing returned is the number's current one.
    private static readonly NamedSql DialEndedSql = NamedSql.Parse("WITH " + EnsureCallSql + """
        ,
        event AS (
            INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
            SELECT call.id, call.workspace_id, @call_sid, 'forwarded', @dial_status, @occurred_at, 'target:' || @target, @payload
            FROM call
            ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        )
        SELECT c.from_number, c.to_number, coalesce(n.voicemail_enabled, true), n.routing::text
        FROM call
        JOIN call_logs c ON c.id = call.id
        LEFT JOIN user_phone_numbers n ON n.id = c.phone_number_id
        """);

    /// <returns>The call as known, or null for a call we never recorded (then: defaults).</returns>
    public async Task<DialEndedRecord?> RecordDialEndedAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, DialEndedSql.Text, DialEndedSql.Bind()
            .Set("call_sid", Text(callback.CallSid))
            .Set("account_sid", Text(callback.Get("AccountSid")))
            .Set("dial_status", Text(callback.Get("DialCallStatus") ?? "unknown"))
            .Set("occurred_at", callback.OccurredAt, NpgsqlDbType.TimestampTz)
            .Set("target", Text(callback.Get(ForwardTargetParameter) ?? "0"))
            .Set("payload", Payload(callback))
            .ToArray());
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new DialEndedRecord(
            reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetBoolean(2),
            reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    /// <summary>Ours, not Twilio's: the ringing attempt's index from the signed action URL, kept with the callback.</summary>
    public const string ForwardTargetParameter = "OvrseeForwardTarget";

    /// <summary>Ours: what the Dial action answered (hangup, forward, voicemail, unavailable), for the timeline.</summary>
    public const string ForwardNextParameter = "OvrseeForwardNext";

    // One statement for many calls (#15): the batch's call callbacks arrive as arrays, one row each
    // (unnest WITH ORDINALITY keeps their order, which is the batch's CallSid order, so rows are
    // locked in the same order by every transaction). Executor start-up, the protocol's messages
    // and the plan's expressions are paid once per batch instead of once per callback: they were
    // a fifth of PostgreSQL's CPU per webhook with one statement each. A CallSid appears at most once
    // per execution (ON CONFLICT DO UPDATE may not touch a row twice in one command): a second
    // callback for the same call in the same batch goes into the next execution (CallExecutions).
    // The dialled number decides the workspace: To for calls into us, From for calls we place.
    // @routed_data, @routed_timeline and @routed_at carry an incoming call's route, decided by the
    // group commit before the statement (call.routed's data, the timeline entry's payload or null,
    // when it was decided), or nulls: call.routed and the routed timeline entry are written here, in the call's statement, with no
    // second statement updating the row it just inserted (#15: that UPDATE, its foreign-key checks
    // on a row of its own transaction and the second statement cost a third of the webhook's WAL).
    private static readonly NamedSql RecordCallSql = NamedSql.Parse("""
        WITH input AS (
            SELECT i.*, n.id AS number_id, n.workspace_id, n.voicemail_enabled, n.agent_stream_url, n.agent_builtin, n.routing,
                   CASE WHEN i.reject_unknown AND n.id IS NULL THEN 'rejected' ELSE i.callback_status END AS status
            FROM unnest(@number::text[], @call_sid::text[], @account_sid::text[], @from_number::text[], @to_number::text[],
                        @direction::text[], @status::text[], @sequence_number::int[], @occurred_at::timestamptz[],
                        @duration_seconds::int[], @kind::text[], @reject_unknown::boolean[], @dedupe_key::text[],
                        @payload::jsonb[], @routed_data::jsonb[], @routed_timeline::jsonb[], @routed_at::timestamptz[])
                 WITH ORDINALITY AS i (number, call_sid, account_sid, from_number, to_number, direction, callback_status,
                                       sequence_number, occurred_at, duration_seconds, kind, reject_unknown, dedupe_key,
                                       payload, routed_data, routed_timeline, routed_at, ord)
            -- One index probe per call (OFFSET 0 keeps it a nested loop whatever the row estimate).
            LEFT JOIN LATERAL (
                SELECT n.id, n.workspace_id, n.voicemail_enabled, w.agent_stream_url, w.agent_builtin, n.routing
                FROM user_phone_numbers n JOIN workspaces w ON w.id = n.workspace_id
                WHERE n.phone_number = i.number AND n.is_active
                OFFSET 0
            ) n ON true
        ),
        -- The call events each callback settles (migration 0121): it rang, was answered, ended, was
        -- routed (only where the number is in service, as the route's decision assumed).
        incoming AS (
            SELECT i.*,
                   (1 | CASE WHEN i.status IN ('in-progress', 'answered', 'completed') THEN 2 ELSE 0 END
                      | CASE WHEN call_status_rank(i.status) >= 9 THEN 4 ELSE 0 END
                      | CASE WHEN i.routed_data IS NOT NULL AND i.number_id IS NOT NULL THEN 8 ELSE 0 END)::smallint AS bits
            FROM input i
        ),
        call AS (
            INSERT INTO call_logs AS c (
                workspace_id, phone_number_id, call_sid, account_sid, from_number, to_number, direction,
                status, status_rank, status_sequence, started_at, answered_at, ended_at, duration_seconds,
                event_seq, announced, announcing)
            SELECT i.workspace_id, i.number_id, i.call_sid, i.account_sid, i.from_number, i.to_number, i.direction,
                   i.status, call_status_rank(i.status), i.sequence_number, i.occurred_at,
                   CASE WHEN i.status IN ('in-progress', 'answered') THEN i.occurred_at END,
                   CASE WHEN call_status_rank(i.status) >= 9 THEN i.occurred_at END,
                   i.duration_seconds,
                   -- announcing carries what this callback settles into the conflict branch (EXCLUDED);
                   -- without a workspace nothing is announced (there is nobody to tell).
                   4, CASE WHEN i.workspace_id IS NULL THEN 0 ELSE i.bits END, i.bits
            FROM incoming i
            ORDER BY i.ord
            ON CONFLICT (call_sid) DO UPDATE SET
                workspace_id     = coalesce(c.workspace_id, EXCLUDED.workspace_id),
                phone_number_id  = coalesce(c.phone_number_id, EXCLUDED.phone_number_id),
                account_sid      = coalesce(c.account_sid, EXCLUDED.account_sid),
                from_number      = coalesce(c.from_number, EXCLUDED.from_number),
                to_number        = coalesce(c.to_number, EXCLUDED.to_number),
                direction        = coalesce(c.direction, EXCLUDED.direction),
                status           = CASE WHEN (EXCLUDED.status_rank, coalesce(EXCLUDED.status_sequence, -1))
                                           > (c.status_rank, coalesce(c.status_sequence, -1))
                                        THEN EXCLUDED.status ELSE c.status END,
                status_sequence  = CASE WHEN (EXCLUDED.status_rank, coalesce(EXCLUDED.status_sequence, -1))
                                           > (c.status_rank, coalesce(c.status_sequence, -1))
                                        THEN EXCLUDED.status_sequence ELSE c.status_sequence END,
                status_rank      = greatest(c.status_rank, EXCLUDED.status_rank),
                started_at       = least(c.started_at, EXCLUDED.started_at),
                answered_at      = least(c.answered_at, EXCLUDED.answered_at),
                ended_at         = least(c.ended_at, EXCLUDED.ended_at),
                duration_seconds = greatest(c.duration_seconds, EXCLUDED.duration_seconds),
                -- SET sees the row as it was (after its lock): only what nobody announced yet.
                announcing       = CASE WHEN coalesce(c.workspace_id, EXCLUDED.workspace_id) IS NULL THEN 0
                                        ELSE EXCLUDED.announcing & ~c.announced END,
                announced        = CASE WHEN coalesce(c.workspace_id, EXCLUDED.workspace_id) IS NULL THEN c.announced
                                        ELSE c.announced | EXCLUDED.announcing END,
                event_seq        = c.event_seq + 4,
                updated_at       = now()
            RETURNING c.id, c.workspace_id, c.announcing, c.event_seq, c.call_sid, c.from_number, c.to_number, c.direction,
                      c.phone_number_id, c.status, c.status_rank, c.duration_seconds, c.answered_at, c.ended_at
        ),
        -- Each call with the callback that wrote it (a CallSid is unique within one execution).
        called AS (
            SELECT call.*, i.ord, i.occurred_at, i.kind, i.sequence_number, i.dedupe_key, i.payload,
                   i.status AS callback_status, i.number_id, i.routed_data, i.routed_timeline, i.routed_at,
                   i.voicemail_enabled, i.agent_stream_url, i.agent_builtin, i.routing
            FROM call JOIN incoming i ON i.call_sid = call.call_sid
        ),
        -- The callback's timeline entry, and the route's (written again by a redelivery: a no-op).
        event AS (
            INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, sequence_number, occurred_at, dedupe_key, payload)
            SELECT c.id, c.workspace_id, c.call_sid, e.kind, e.status, e.sequence_number, e.occurred_at, e.dedupe_key, e.payload
            FROM called c, LATERAL (VALUES
                (false, c.kind, c.callback_status, c.sequence_number, c.occurred_at, c.dedupe_key, c.payload),
                (true, 'routed', NULL, NULL, c.routed_at, 'routed', c.routed_timeline)
            ) AS e (routed, kind, status, sequence_number, occurred_at, dedupe_key, payload)
            WHERE NOT e.routed OR (e.payload IS NOT NULL AND c.workspace_id IS NOT NULL AND c.number_id IS NOT NULL)
            ORDER BY c.ord, e.routed
            ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        ),
        announced AS (
            INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at, data)
            SELECT c.workspace_id, c.id, c.event_seq - 4 + e.slot, e.type, e.occurred_at, e.data
            FROM called c, LATERAL (VALUES
                (1, 1, 'call.ringing', c.occurred_at, jsonb_build_object(
                    'callSid', c.call_sid, 'from', c.from_number, 'to', c.to_number,
                    'direction', c.direction, 'phoneNumberId', c.phone_number_id)),
                -- VALUES computes every row before the WHERE: data only for what is announced
                -- (event_time is not inlined, its to_char is a nested statement).
                (2, 3, 'call.answered', coalesce(c.answered_at, c.occurred_at), CASE WHEN c.announcing & 2 <> 0 THEN jsonb_build_object(
                    'callSid', c.call_sid, 'answeredAt', event_time(coalesce(c.answered_at, c.occurred_at))) END),
                (4, 4, 'call.completed', coalesce(c.ended_at, c.occurred_at), CASE WHEN c.announcing & 4 <> 0 THEN jsonb_build_object(
                    'callSid', c.call_sid, 'status', c.status, 'durationSeconds', c.duration_seconds,
                    'endedAt', event_time(coalesce(c.ended_at, c.occurred_at)),
                    'outcome', call_outcome(c.id, c.status, c.status_rank)) END),
                -- Slot 2: after the ringing of the same callback, before its answer; a redelivery
                -- announces nothing again (bit 8), a late first incoming-call comes after all.
                (8, 2, 'call.routed', c.routed_at, c.routed_data)
            ) AS e (bit, slot, type, occurred_at, data)
            WHERE c.announcing & e.bit <> 0 AND c.workspace_id IS NOT NULL
            ORDER BY c.ord, e.bit
        )
        SELECT c.id, c.workspace_id, c.number_id IS NOT NULL, coalesce(c.voicemail_enabled, true), c.agent_stream_url,
               coalesce(c.agent_builtin, false), c.routing::text
        FROM called c
        ORDER BY c.ord
        """);

    public async Task<IncomingCallRecord> RecordCallAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        IncomingCallRecord call;
        await using (var batch = SystemPath.CreateBatch(connection, RecordCallSql.Text, CallParameters([callback], [null])))
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            call = await ReadCallAsync(reader, cancellationToken);
        }
        events?.Notify();
        return call;
    }

    /// <summary>
    /// Group commit: several callbacks as one batch (one round trip) in one implicit transaction,
    /// so they share one commit and one WAL flush. All or nothing: if any statement fails, none is
    /// stored, and the caller retries the members one by one. The results are returned only after
    /// the whole batch was read to its end, which is after PostgreSQL committed it.
    /// Incoming calls are routed first (one round trip more, reading their numbers' settings, no
    /// transaction): each call's statement then writes its route's call.routed and timeline entry
    /// itself, so they commit with the call in the same single statement.
    /// </summary>
    /// <returns>Per callback, in order: the call as stored for calls, null for voicemail callbacks.</returns>
    public async Task<IncomingCallRecord?[]> RecordManyAsync(IReadOnlyList<TwilioCallback> callbacks, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var routes = routing is not null && callbacks.Any(c => c.Kind == CallbackKind.IncomingCall)
            ? await DecideRoutesAsync(connection, callbacks, cancellationToken)
            : null;
        var results = await WriteManyAsync(connection, callbacks, routes, cancellationToken);
        if (routes is not null)
        {
            for (var i = 0; i < results.Length; i++)
            {
                // The statement wrote the route only where it found the number in service too.
                if (routes[i] is { } routed && results[i] is { InService: true } call)
                {
                    results[i] = call with { Route = routed.Route };
                }
            }
        }
        events?.Notify();
        return results;
    }

    /// <summary>An incoming call's route, decided before its statement, and what the statement writes of it.</summary>
    private sealed record RoutedCall(CallRoute Route, string Data, string? Timeline, DateTime DecidedAt);

    // What RecordCallSql's number lookup reads, for every number the batch's incoming calls dialled.
    // Run with generic plans (migration 0160): planned afresh for every batch, it cost 0.2 ms of
    // planning for a 0.03 ms read.
    private static readonly NamedSql NumbersSql = NamedSql.Parse("""
        SELECT n.phone_number, n.workspace_id, n.voicemail_enabled, w.agent_stream_url, w.agent_builtin, n.routing::text
        FROM user_phone_numbers n JOIN workspaces w ON w.id = n.workspace_id
        WHERE n.phone_number = ANY (@numbers) AND n.is_active
        """);

    /// <summary>Decides each incoming call's route from its number's settings; null for calls to a number not in service.</summary>
    private async Task<RoutedCall?[]> DecideRoutesAsync(NpgsqlConnection connection, IReadOnlyList<TwilioCallback> callbacks, CancellationToken cancellationToken)
    {
        var dialled = callbacks.Where(c => c.Kind == CallbackKind.IncomingCall).Select(DialledNumber).OfType<string>().Distinct().ToArray();
        var numbers = new Dictionary<string, IncomingCallRecord>(StringComparer.Ordinal);
        await using (var batch = SystemPath.CreateBatchWithGenericPlans(connection, NumbersSql.Text,
            NumbersSql.Bind().Set("numbers", dialled, NpgsqlDbType.Array | NpgsqlDbType.Text).ToArray()))
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                numbers[reader.GetString(0)] = new IncomingCallRecord(Guid.Empty, reader.GetGuid(1), InService: true,
                    reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5));
            }
        }

        var routes = new RoutedCall?[callbacks.Count];
        for (var i = 0; i < callbacks.Count; i++)
        {
            var callback = callbacks[i];
            if (callback.Kind != CallbackKind.IncomingCall || DialledNumber(callback) is not { } number || !numbers.TryGetValue(number, out var call))
            {
                continue;
            }
            var route = routing!.Route(call, callback);
            routes[i] = new RoutedCall(
                route,
                JsonSerializer.Serialize(CallRouting.AnnouncedData(callback, route)),
                routing.TimelineEntry(call, callback, route) is { } entry ? JsonSerializer.Serialize(entry.Payload) : null,
                routing.Now.UtcDateTime);
        }
        return routes;
    }

    private static async Task<IncomingCallRecord?[]> WriteManyAsync(NpgsqlConnection connection,
        IReadOnlyList<TwilioCallback> callbacks, RoutedCall?[]? routes, CancellationToken cancellationToken)
    {
        await using var batch = SystemPath.CreateBatch(connection);
        var executions = CallExecutions(callbacks);
        foreach (var execution in executions)
        {
            batch.BatchCommands.Add(Command(RecordCallSql.Text,
                CallParameters(execution.ConvertAll(i => callbacks[i]), execution.ConvertAll(i => routes?[i]))));
        }
        // The voicemail callbacks after the calls: their statements find the call logs written.
        foreach (var callback in callbacks)
        {
            if (callback.Kind is CallbackKind.VoicemailRecorded or CallbackKind.VoicemailTranscribed)
            {
                batch.BatchCommands.Add(VoicemailCommand(callback));
            }
            else if (callback.Kind is not (CallbackKind.IncomingCall or CallbackKind.CallStatus))
            {
                throw new ArgumentOutOfRangeException(nameof(callbacks), callback.Kind, "Not a group-committed callback kind");
            }
        }

        var results = new IncomingCallRecord?[callbacks.Count];
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // Only the call statements return rows, one per callback in its order; Npgsql's reader
            // skips the statements that return none.
            for (var e = 0; e < executions.Count; e++)
            {
                if (e > 0 && !await reader.NextResultAsync(cancellationToken))
                {
                    throw new InvalidOperationException("A grouped call statement returned no result.");
                }
                foreach (var i in executions[e])
                {
                    results[i] = await ReadCallAsync(reader, cancellationToken);
                }
            }
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        return results;
    }

    /// <summary>
    /// The batch's call callbacks as executions of RecordCallSql, by position: the first callback
    /// of every CallSid in the first, a second one for the same call in the second, and so on.
    /// </summary>
    private static List<List<int>> CallExecutions(IReadOnlyList<TwilioCallback> callbacks)
    {
        var executions = new List<List<int>>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < callbacks.Count; i++)
        {
            if (callbacks[i].Kind is not (CallbackKind.IncomingCall or CallbackKind.CallStatus))
            {
                continue;
            }
            var occurrence = seen.GetValueOrDefault(callbacks[i].CallSid);
            seen[callbacks[i].CallSid] = occurrence + 1;
            if (occurrence == executions.Count)
            {
                executions.Add([]);
            }
            executions[occurrence].Add(i);
        }
        return executions;
    }

    public static bool IsGroupCommitted(CallbackKind kind) =>
        kind is CallbackKind.IncomingCall or CallbackKind.CallStatus or CallbackKind.VoicemailRecorded or CallbackKind.VoicemailTranscribed;

    // The dialled number decides the workspace: To for calls into us, From for calls we place.
    private static string? DialledNumber(TwilioCallback callback) =>
        callback.Get("Direction")?.StartsWith("outbound", StringComparison.Ordinal) == true ? callback.Get("From") : callback.Get("To");

    /// <summary>RecordCallSql's arrays: one element per callback, each callback with its route (or null).</summary>
    private static NpgsqlParameter[] CallParameters(IReadOnlyList<TwilioCallback> callbacks, IReadOnlyList<RoutedCall?> routes)
    {
        var count = callbacks.Count;
        string?[] Texts(Func<TwilioCallback, int, string?> value)
        {
            var values = new string?[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = value(callbacks[i], i);
            }
            return values;
        }
        var statuses = Texts((c, _) => c.Get("CallStatus") ?? (c.Kind == CallbackKind.IncomingCall ? "ringing" : "unknown"));
        var sequences = callbacks.Select(c => c.GetInt("SequenceNumber")).ToArray();

        return RecordCallSql.Bind()
            .Set("number", Texts((c, _) => DialledNumber(c)), TextArray)
            .Set("call_sid", Texts((c, _) => c.CallSid), TextArray)
            .Set("account_sid", Texts((c, _) => c.Get("AccountSid")), TextArray)
            .Set("from_number", Texts((c, _) => c.Get("From")), TextArray)
            .Set("to_number", Texts((c, _) => c.Get("To")), TextArray)
            .Set("direction", Texts((c, _) => c.Get("Direction")), TextArray)
            .Set("status", statuses, TextArray)
            .Set("sequence_number", sequences, NpgsqlDbType.Array | NpgsqlDbType.Integer)
            .Set("occurred_at", callbacks.Select(c => c.OccurredAt).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            .Set("duration_seconds", callbacks.Select(c => c.GetDuration("CallDuration") ?? c.GetDuration("Duration")).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Integer)
            .Set("kind", Texts((c, _) => c.Kind == CallbackKind.IncomingCall ? "incoming-call" : "status"), TextArray)
            .Set("reject_unknown", callbacks.Select(c => c.Kind == CallbackKind.IncomingCall).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Boolean)
            .Set("dedupe_key", Texts((c, i) => c.Kind == CallbackKind.IncomingCall ? "incoming-call" : StatusDedupeKey(statuses[i]!, sequences[i], c.Get("Timestamp"))), TextArray)
            .Set("payload", Texts((c, _) => PayloadJson(c)), JsonbArray)
            .Set("routed_data", Texts((_, i) => routes[i]?.Data), JsonbArray)
            .Set("routed_timeline", Texts((_, i) => routes[i]?.Timeline), JsonbArray)
            .Set("routed_at", routes.Select(r => r?.DecidedAt).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            .ToArray();
    }

    private const NpgsqlDbType TextArray = NpgsqlDbType.Array | NpgsqlDbType.Text;
    private const NpgsqlDbType JsonbArray = NpgsqlDbType.Array | NpgsqlDbType.Jsonb;

    private static async Task<IncomingCallRecord> ReadCallAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("Recording a call returned no row.");
        }
        return new IncomingCallRecord(
            reader.GetGuid(0),
            reader.IsDBNull(1) ? null : reader.GetGuid(1),
            reader.GetBoolean(2),
            reader.GetBoolean(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.GetBoolean(5),
            reader.IsDBNull(6) ? null : reader.GetString(6));
    }

    private static NpgsqlBatchCommand Command(string sql, NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    /// <summary>
    /// What makes a status callback a duplicate on the timeline. A redelivery repeats CallStatus
    /// and SequenceNumber (or Timestamp). A call ends once: its final status is one entry however
    /// it reached us, so Twilio's late callback and the reconciler's record of the same end (which
    /// has no SequenceNumber) do not both appear.
    /// </summary>
    public static string StatusDedupeKey(string status, int? sequence, string? timestamp) =>
        status is "completed" or "busy" or "failed" or "no-answer" or "canceled"
            ? status
            : $"{status}:{sequence?.ToString() ?? timestamp ?? ""}";

    // The call log normally exists (Twilio asks for TwiML before anything is recorded); if the
    // callback still comes first, a bare call log is created so nothing is dropped.
    private const string EnsureCallSql = """
        call AS (
            INSERT INTO call_logs AS c (call_sid, account_sid, status, status_rank)
            VALUES (@call_sid, @account_sid, 'unknown', 0)
            ON CONFLICT (call_sid) DO UPDATE SET account_sid = coalesce(c.account_sid, EXCLUDED.account_sid)
            RETURNING c.id, c.workspace_id
        )
        """;

    // The same, for statements that may write the call's events: its counter moves on under the
    // row lock (migration 0121), and its workspace and number say who hears of it.
    private const string EnsureCallForEventsSql = """
        call AS (
            INSERT INTO call_logs AS c (call_sid, account_sid, status, status_rank, event_seq)
            VALUES (@call_sid, @account_sid, 'unknown', 0, 4)
            ON CONFLICT (call_sid) DO UPDATE SET account_sid = coalesce(c.account_sid, EXCLUDED.account_sid), event_seq = c.event_seq + 4
            RETURNING c.id, c.workspace_id, c.event_seq
        )
        """;

    private static readonly NamedSql VoicemailRecordedSql = NamedSql.Parse("WITH " + EnsureCallForEventsSql + """
        ,
        voicemail AS (
            INSERT INTO voicemail_messages AS v (
                workspace_id, call_log_id, call_sid, recording_sid, recording_url, recording_status,
                recording_duration_seconds, transcript_status, summary_status, announced, announcing)
            SELECT call.workspace_id, call.id, @call_sid, @recording_sid, @recording_url, @recording_status, @recording_duration,
                   CASE WHEN @recording_status = 'completed' THEN 'pending' ELSE 'not_applicable' END,
                   CASE WHEN @recording_status = 'completed' THEN 'pending' ELSE 'not_applicable' END,
                   CASE WHEN @recording_status = 'completed' AND call.workspace_id IS NOT NULL THEN 1 ELSE 0 END,
                   CASE WHEN @recording_status = 'completed' AND call.workspace_id IS NOT NULL THEN 1 ELSE 0 END
            FROM call
            ON CONFLICT (recording_sid) DO UPDATE SET
                workspace_id               = coalesce(v.workspace_id, EXCLUDED.workspace_id),
                recording_url              = coalesce(EXCLUDED.recording_url, v.recording_url),
                -- completed is final; anything else may still become completed.
                recording_status           = CASE WHEN v.recording_status = 'completed' THEN v.recording_status ELSE EXCLUDED.recording_status END,
                recording_duration_seconds = coalesce(v.recording_duration_seconds, EXCLUDED.recording_duration_seconds),
                -- Once the recording is completed its job chain owns these (and may have closed them
                -- as failed or not_applicable); a replayed callback enqueues no new jobs to reopen them.
                transcript_status          = CASE WHEN v.recording_status = 'completed' OR v.transcript_status IN ('completed', 'processing') THEN v.transcript_status ELSE EXCLUDED.transcript_status END,
                summary_status             = CASE WHEN v.recording_status = 'completed' OR v.summary_status IN ('completed', 'processing') THEN v.summary_status ELSE EXCLUDED.summary_status END,
                -- voicemail.recorded once, when the recording first completes (migration 0121).
                announcing                 = CASE WHEN EXCLUDED.recording_status = 'completed' AND coalesce(v.workspace_id, EXCLUDED.workspace_id) IS NOT NULL
                                                  THEN 1 & ~v.announced ELSE 0 END,
                announced                  = CASE WHEN EXCLUDED.recording_status = 'completed' AND coalesce(v.workspace_id, EXCLUDED.workspace_id) IS NOT NULL
                                                  THEN v.announced | 1 ELSE v.announced END,
                updated_at                 = now()
            RETURNING v.id, v.workspace_id, v.recording_status, v.announcing, v.recording_duration_seconds
        ),
        announced AS (
            INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at, data)
            SELECT voicemail.workspace_id, call.id, call.event_seq - 4 + 1, 'voicemail.recorded', @occurred_at, jsonb_build_object(
                'voicemailId', voicemail.id, 'callSid', @call_sid::text, 'recordingSid', @recording_sid::text,
                'durationSeconds', voicemail.recording_duration_seconds)
            FROM voicemail, call
            WHERE voicemail.announcing & 1 <> 0 AND voicemail.workspace_id IS NOT NULL
        ),
        event AS (
            INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
            SELECT call.id, call.workspace_id, @call_sid, 'voicemail-recorded', @recording_status, @occurred_at, @recording_sid || ':' || @recording_status, @payload
            FROM call
            ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        )
        INSERT INTO jobs (workspace_id, kind, dedupe_key, payload)
        SELECT workspace_id, 'voicemail.fetch-recording', id::text, jsonb_build_object('voicemailId', id)
        FROM voicemail WHERE recording_status = 'completed'
        ON CONFLICT (kind, dedupe_key) DO NOTHING
        """);

    private static readonly NamedSql VoicemailTranscribedSql = NamedSql.Parse("WITH " + EnsureCallForEventsSql + """
        ,
        voicemail AS (
            INSERT INTO voicemail_messages AS v (
                workspace_id, call_log_id, call_sid, recording_sid, recording_url, recording_status,
                transcript, transcript_status, announced, announcing)
            SELECT call.workspace_id, call.id, @call_sid, @recording_sid, @recording_url, 'pending', @transcript,
                   CASE WHEN @transcription_status = 'completed' THEN 'completed' ELSE 'failed' END,
                   CASE WHEN @transcription_status = 'completed' AND call.workspace_id IS NOT NULL THEN 2 ELSE 0 END,
                   CASE WHEN @transcription_status = 'completed' AND call.workspace_id IS NOT NULL THEN 2 ELSE 0 END
            FROM call
            ON CONFLICT (recording_sid) DO UPDATE SET
                transcript        = coalesce(v.transcript, EXCLUDED.transcript),
                transcript_status = CASE WHEN v.transcript_status = 'completed' THEN v.transcript_status ELSE EXCLUDED.transcript_status END,
                transcript_error  = CASE WHEN EXCLUDED.transcript_status = 'failed' AND v.transcript_status <> 'completed'
                                         THEN 'Twilio transcription ' || @transcription_status ELSE v.transcript_error END,
                -- voicemail.transcribed once, for the first transcript (a failure is not announced:
                -- our own speech-to-text may still succeed; voicemail.summarized always closes the voicemail).
                announcing        = CASE WHEN EXCLUDED.transcript_status = 'completed' AND coalesce(v.workspace_id, EXCLUDED.workspace_id) IS NOT NULL
                                         THEN 2 & ~v.announced ELSE 0 END,
                announced         = CASE WHEN EXCLUDED.transcript_status = 'completed' AND coalesce(v.workspace_id, EXCLUDED.workspace_id) IS NOT NULL
                                         THEN v.announced | 2 ELSE v.announced END,
                updated_at        = now()
            RETURNING v.id, v.workspace_id, v.announcing, v.transcript
        ),
        announced AS (
            INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at, data)
            SELECT voicemail.workspace_id, call.id, call.event_seq - 4 + 2, 'voicemail.transcribed', @occurred_at, jsonb_build_object(
                'voicemailId', voicemail.id, 'callSid', @call_sid::text, 'status', 'completed', 'transcript', voicemail.transcript)
            FROM voicemail, call
            WHERE voicemail.announcing & 2 <> 0 AND voicemail.workspace_id IS NOT NULL
        )
        INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
        SELECT call.id, call.workspace_id, @call_sid, 'voicemail-transcribed', @transcription_status, @occurred_at, coalesce(@transcription_sid, @recording_sid), @payload
        FROM call, voicemail
        ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        """);

    // The callback's kind picks the statement; both take their values from here, each the names it uses.
    private static NpgsqlBatchCommand VoicemailCommand(TwilioCallback callback)
    {
        var recorded = callback.Kind == CallbackKind.VoicemailRecorded;
        var statement = recorded ? VoicemailRecordedSql : VoicemailTranscribedSql;
        var parameters = statement.Bind()
            .Set("call_sid", Text(callback.CallSid))
            .Set("account_sid", Text(callback.Get("AccountSid")))
            .Set("recording_sid", Text(callback.Get("RecordingSid")))
            .Set("recording_url", Text(callback.Get("RecordingUrl")))
            .Set("occurred_at", callback.OccurredAt, NpgsqlDbType.TimestampTz)
            .Set("payload", Payload(callback));
        parameters = recorded
            ? parameters
                .Set("recording_status", Text(callback.Get("RecordingStatus") ?? "absent"))
                .Set("recording_duration", callback.GetDuration("RecordingDuration"), NpgsqlDbType.Integer)
            : parameters
                .Set("transcript", Text(callback.Get("TranscriptionText")))
                .Set("transcription_status", Text(callback.Get("TranscriptionStatus")))
                .Set("transcription_sid", Text(callback.Get("TranscriptionSid")));
        return Command(statement.Text, parameters.ToArray());
    }

    private async Task ExecuteAsync(NpgsqlBatchCommand command, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection);
        batch.BatchCommands.Add(command);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        events?.Notify();
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Payload(TwilioCallback callback) =>
        new() { Value = PayloadJson(callback), NpgsqlDbType = NpgsqlDbType.Jsonb };

    // The callback as stored on its timeline entry: every parameter Twilio sent.
    private static string PayloadJson(TwilioCallback callback) => JsonSerializer.Serialize(callback.Parameters);
}
