using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.WebhookApi.Calls;

/// <summary>
/// Reads calls for the front end. Always inside a WorkspaceScope: row-level security confines
/// every query to the caller's workspace; the explicit workspace_id condition is there for the
/// planner (it matches the (workspace_id, created_at, id) index), not for isolation.
/// </summary>
public static class CallLogReader
{
    private const string CallColumns = """
        c.id, c.call_sid, c.direction, c.status, c.from_number, c.to_number, c.phone_number_id,
        c.started_at, c.answered_at, c.ended_at, c.duration_seconds, c.created_at,
        EXISTS (SELECT FROM voicemail_messages v WHERE v.call_log_id = c.id AND v.recording_status = 'completed'),
        call_outcome(c.id, c.status, c.status_rank)
        """;

    public static async Task<CallPage> ListAsync(WorkspaceScope scope, CallListQuery query, CancellationToken cancellationToken)
    {
        // One extra row says whether there is a next page.
        await using var command = ListCommand(scope, query, query.Limit + 1);
        var items = new List<CallListItem>(query.Limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadCall(reader));
            }
        }

        if (items.Count <= query.Limit)
        {
            return new CallPage(items, null);
        }
        items.RemoveAt(items.Count - 1);
        var last = items[^1];
        return new CallPage(items, new CallListCursor(last.CreatedAt, last.Id).ToString());
    }

    /// <summary>Every call the filters match, newest first, row by row as PostgreSQL sends them (no page limit).</summary>
    public static async IAsyncEnumerable<CallListItem> StreamAsync(
        WorkspaceScope scope, CallListQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = ListCommand(scope, query, limit: null);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadCall(reader);
        }
    }

    /// <summary>The list's filters and order; a null filter matches every call, LIMIT NULL is no limit.</summary>
    private static readonly NamedSql ListSql = NamedSql.Parse($"""
        SELECT {CallColumns}
        FROM call_logs c
        WHERE c.workspace_id = current_workspace_id()
          AND (@statuses::text[] IS NULL OR c.status = ANY (@statuses))
          AND (@direction::text IS NULL OR (@direction = 'inbound' AND c.direction = 'inbound') OR (@direction = 'outbound' AND c.direction LIKE 'outbound%'))
          AND (@phone_number_id::uuid IS NULL OR c.phone_number_id = @phone_number_id)
          AND (@from_number::text IS NULL OR c.from_number = @from_number)
          AND (@to_number::text IS NULL OR c.to_number = @to_number)
          AND (@since::timestamptz IS NULL OR c.created_at >= @since)
          AND (@until::timestamptz IS NULL OR c.created_at < @until)
          AND (@has_voicemail::boolean IS NULL OR @has_voicemail = EXISTS (
                  SELECT FROM voicemail_messages v WHERE v.call_log_id = c.id AND v.recording_status = 'completed'))
          AND (@after_created_at::timestamptz IS NULL OR (c.created_at, c.id) < (@after_created_at, @after_id::uuid))
          AND (@outcomes::text[] IS NULL OR call_outcome(c.id, c.status, c.status_rank) = ANY (@outcomes))
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT @limit
        """);

    private static NpgsqlCommand ListCommand(WorkspaceScope scope, CallListQuery query, int? limit)
    {
        var command = scope.CreateCommand(ListSql.Text);
        ListSql.Bind()
            .Set("statuses", query.Statuses, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("direction", query.Direction, NpgsqlDbType.Text)
            .Set("phone_number_id", query.PhoneNumberId, NpgsqlDbType.Uuid)
            .Set("from_number", query.From, NpgsqlDbType.Text)
            .Set("to_number", query.To, NpgsqlDbType.Text)
            .Set("since", query.Since, NpgsqlDbType.TimestampTz)
            .Set("until", query.Until, NpgsqlDbType.TimestampTz)
            .Set("has_voicemail", query.HasVoicemail, NpgsqlDbType.Boolean)
            .Set("after_created_at", query.After?.CreatedAt, NpgsqlDbType.TimestampTz)
            .Set("after_id", query.After?.Id, NpgsqlDbType.Uuid)
            .Set("limit", limit, NpgsqlDbType.Integer)
            .Set("outcomes", query.Outcomes, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .AddTo(command.Parameters);
        return command;
    }

    /// <summary>The call, its timeline, its voicemail and that voicemail's jobs, in one round trip.</summary>
    public static async Task<CallDetail?> GetAsync(WorkspaceScope scope, Guid callId, Func<Guid, string> playbackUrl, CancellationToken cancellationToken)
    {
        var id = new NpgsqlParameter { Value = callId, NpgsqlDbType = NpgsqlDbType.Uuid };
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                Command($"SELECT {CallColumns} FROM call_logs c WHERE c.id = $1", id),
                Command("""
                    SELECT kind, status, sequence_number, occurred_at, received_at, payload::text
                    FROM call_events WHERE call_log_id = $1
                    ORDER BY occurred_at, sequence_number NULLS FIRST, id
                    """, id.Clone()),
                Command("""
                    SELECT id, recording_sid, recording_status, recording_duration_seconds, transcript, transcript_status,
                           transcript_error, summary::text, summary_status, summary_error, storage_path IS NOT NULL, created_at
                    FROM voicemail_messages WHERE call_log_id = $1
                    ORDER BY (recording_status = 'completed') DESC, created_at DESC
                    LIMIT 1
                    """, id.Clone()),
                Command("""
                    SELECT j.kind, j.state, j.attempts, j.max_attempts, j.last_error, j.run_after, j.updated_at
                    FROM jobs j
                    WHERE j.payload->>'voicemailId' IN (SELECT v.id::text FROM voicemail_messages v WHERE v.call_log_id = $1)
                    ORDER BY j.created_at, j.kind
                    """, id.Clone()),
            },
        };

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var call = ReadCall(reader);

        await reader.NextResultAsync(cancellationToken);
        var timeline = new List<CallEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            timeline.Add(new CallEvent(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.GetDateTime(3), reader.GetDateTime(4), ParseJson(reader.GetString(5))));
        }

        await reader.NextResultAsync(cancellationToken);
        VoicemailDetail? voicemail = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            voicemail = new VoicemailDetail(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : ParseJson(reader.GetString(7)), reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.GetBoolean(10) ? playbackUrl(call.Id) : null, [], reader.GetDateTime(11));
        }

        await reader.NextResultAsync(cancellationToken);
        var jobs = new List<VoicemailJob>();
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new VoicemailJob(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetDateTime(5), reader.GetDateTime(6)));
        }

        return new CallDetail(call, timeline, voicemail is null ? null : voicemail with { Jobs = jobs });
    }

    /// <summary>The call's voicemail as its recording endpoint needs it: stored where, or why not (yet).</summary>
    public static async Task<RecordingLookup?> RecordingAsync(WorkspaceScope scope, Guid callId, CancellationToken cancellationToken)
    {
        // The same voicemail the call detail shows, with its fetch job.
        await using var command = scope.CreateCommand($"""
            SELECT v.storage_path, v.recording_status, j.state, j.attempts, j.last_error
            FROM voicemail_messages v
            LEFT JOIN jobs j ON j.payload->>'voicemailId' = v.id::text AND j.kind = '{Voicemail.VoicemailJobs.FetchRecording}'
            WHERE v.call_log_id = $1
            ORDER BY (v.recording_status = 'completed') DESC, v.created_at DESC, j.created_at DESC
            LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = callId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new RecordingLookup(
            reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? 0 : reader.GetInt32(3),
            reader.IsDBNull(4) ? null : reader.GetString(4));
    }

    private static CallListItem ReadCall(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetGuid(6),
        reader.IsDBNull(7) ? null : reader.GetDateTime(7), reader.IsDBNull(8) ? null : reader.GetDateTime(8),
        reader.IsDBNull(9) ? null : reader.GetDateTime(9), reader.IsDBNull(10) ? null : reader.GetInt32(10),
        reader.GetDateTime(11), reader.GetBoolean(12), reader.GetString(13));

    private static NpgsqlBatchCommand Command(string sql, NpgsqlParameter parameter) => new(sql) { Parameters = { parameter } };

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

/// <summary>A voicemail's audio: where it is stored, or the recording's and its fetch job's state.</summary>
public sealed record RecordingLookup(string? StoragePath, string RecordingStatus, string? FetchState, int FetchAttempts, string? FetchError);
