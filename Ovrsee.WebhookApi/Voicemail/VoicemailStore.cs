using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.WebhookApi.Voicemail;

public sealed record VoicemailRecord(
    Guid Id,
    Guid? WorkspaceId,
    string RecordingSid,
    string? RecordingUrl,
    string? StoragePath,
    string? Transcript,
    string TranscriptStatus,
    string SummaryStatus,
    DateTimeOffset CreatedAt,
    string? CallerNumber);

/// <summary>
/// The pipeline's reads and writes on voicemail_messages, call_events and jobs. The job runner
/// is a system path (it serves every workspace), hence SystemPath. Each write is one statement:
/// the voicemail's new state, its timeline event and the next job commit together, and each is
/// written so that running it again changes nothing (first result wins, ON CONFLICT DO NOTHING).
/// </summary>
public sealed class VoicemailStore(NpgsqlDataSource dataSource, Ovrsee.WebhookApi.Events.EventSignal? events = null)
{
    private const string GetSql = """
        SELECT v.id, v.workspace_id, v.recording_sid, v.recording_url, v.storage_path, v.transcript,
               v.transcript_status, v.summary_status, v.created_at, c.from_number
        FROM voicemail_messages v JOIN call_logs c ON c.id = v.call_log_id
        WHERE v.id = $1
        """;

    public async Task<VoicemailRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, GetSql, Id(id));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new VoicemailRecord(
            reader.GetGuid(0),
            reader.IsDBNull(1) ? null : reader.GetGuid(1),
            reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.GetString(6),
            reader.GetString(7),
            reader.GetFieldValue<DateTimeOffset>(8),
            reader.IsDBNull(9) ? null : reader.GetString(9));
    }

    // The timeline event for a milestone; its dedupe key (the RecordingSid) makes it once-only.
    private static string Event(string source, string kind, string status, string payload) => $"""
        INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
        SELECT call_log_id, workspace_id, call_sid, '{kind}', '{status}', now(), recording_sid, {payload}
        FROM {source}
        ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        """;

    // The next job of the chain (@next_kind, none when null), carrying the voicemail id like every job of a voicemail.
    private static string NextJob(string source) => $"""
        INSERT INTO jobs (workspace_id, kind, dedupe_key, payload)
        SELECT workspace_id, @next_kind::text, id::text, jsonb_build_object('{VoicemailJobs.PayloadKey}', id)
        FROM {source} WHERE @next_kind::text IS NOT NULL
        ON CONFLICT (kind, dedupe_key) DO NOTHING
        """;

    // The owner's text about the voicemail, for numbers that asked for one (voicemail_sms_to).
    private static string SmsNotification(string source, string condition = "true") => $"""
        INSERT INTO jobs (workspace_id, kind, dedupe_key, payload)
        SELECT s.workspace_id, '{VoicemailJobs.NotifyBySms}', s.id::text, jsonb_build_object('{VoicemailJobs.PayloadKey}', s.id)
        FROM {source} s JOIN call_logs c ON c.id = s.call_log_id JOIN user_phone_numbers n ON n.id = c.phone_number_id
        WHERE n.voicemail_sms_to IS NOT NULL AND {condition}
        ON CONFLICT (kind, dedupe_key) DO NOTHING
        """;

    private const string VoicemailColumns = "id, workspace_id, call_log_id, call_sid, recording_sid";

    // What a statement that may settle the voicemail returns, for Announce.
    private const string AnnouncedColumns = VoicemailColumns + ", announcing, transcript_status, transcript, summary_status, summary";

    // Writers of a call's events lock its call_logs row (of voicemail @id) before its voicemail (the callbacks do, by
    // upserting the call first), so a job and a late Twilio callback cannot deadlock. The UPDATE
    // that joins this CTE takes the call's lock first.
    private const string LockCall = """
        call_lock AS (
            SELECT c.id AS locked_call_id FROM call_logs c
            WHERE c.id = (SELECT call_log_id FROM voicemail_messages WHERE id = @id)
            FOR UPDATE
        )
        """;

    // The domain events (migration 0121) for what the UPDATE in `source` settled, announced once
    // (its announcing bits: 2 transcribed, 4 summarized), numbered by the call's event counter.
    private static string Announce(string source) => $"""
        call_seq AS (
            UPDATE call_logs c SET event_seq = c.event_seq + 4
            FROM {source} s WHERE c.id = s.call_log_id AND s.announcing <> 0
            RETURNING c.id, c.event_seq
        ),
        announced AS (
            INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at, data)
            SELECT s.workspace_id, s.call_log_id, q.event_seq - 4 + e.slot, e.type, now(), e.data
            FROM {source} s JOIN call_seq q ON q.id = s.call_log_id, LATERAL (VALUES
                (2, 2, 'voicemail.transcribed', jsonb_build_object(
                    'voicemailId', s.id, 'callSid', s.call_sid, 'status', s.transcript_status, 'transcript', s.transcript)),
                (4, 3, 'voicemail.summarized', jsonb_build_object(
                    'voicemailId', s.id, 'callSid', s.call_sid, 'status', s.summary_status, 'summary', s.summary))
            ) AS e (bit, slot, type, data)
            WHERE s.announcing & e.bit <> 0 AND s.workspace_id IS NOT NULL
        )
        """;

    // SET clauses that announce `bit` once (SET sees the row as it was).
    private static string Announcing(string bit) => $"announcing = {bit} & ~announced, announced = announced | {bit}";

    private static readonly NamedSql DownloadedSql = NamedSql.Parse($"""
        WITH vm AS (
            UPDATE voicemail_messages SET storage_path = @storage_path, updated_at = now()
            WHERE id = @id
            RETURNING {VoicemailColumns}
        ),
        event AS (
            {Event("vm", "voicemail-downloaded", "completed", "jsonb_build_object('voicemailId', id, 'storagePath', @storage_path::text)")}
        )
        {NextJob("vm")}
        """);

    /// <summary>The audio is stored: remember where, add the timeline event, enqueue <paramref name="nextKind"/>.</summary>
    public Task RecordDownloadedAsync(Guid id, string storagePath, string? nextKind, CancellationToken cancellationToken) =>
        ExecuteAsync(DownloadedSql, Id(DownloadedSql, id)
            .Set("storage_path", storagePath, NpgsqlDbType.Text)
            .Set("next_kind", nextKind, NpgsqlDbType.Text), cancellationToken);

    private static readonly NamedSql TranscribedSql = NamedSql.Parse($"""
        WITH {LockCall},
        stored AS (
            UPDATE voicemail_messages SET transcript = @transcript, transcript_status = 'completed', transcript_error = NULL, updated_at = now(),
                {Announcing("2")}
            FROM call_lock
            WHERE id = @id AND transcript_status <> 'completed'
            RETURNING {AnnouncedColumns}
        ),
        {Announce("stored")},
        vm AS (SELECT {VoicemailColumns} FROM voicemail_messages WHERE id = @id),
        event AS (
            {Event("stored", "voicemail-transcript", "completed",
                "jsonb_build_object('voicemailId', id, 'source', 'speech-to-text', 'model', @model::text, 'characters', length(@transcript))")}
        )
        {NextJob("vm")}
        """);

    /// <summary>
    /// Stores our transcript unless one is already there (a re-run, or Twilio's arrived first):
    /// one transcript, one event. The summary job is enqueued either way.
    /// </summary>
    public Task RecordTranscriptAsync(Guid id, string transcript, string? model, CancellationToken cancellationToken) =>
        ExecuteAsync(TranscribedSql, Id(TranscribedSql, id)
            .Set("transcript", transcript, NpgsqlDbType.Text)
            .Set("model", model, NpgsqlDbType.Text)
            .Set("next_kind", VoicemailJobs.Summarize, NpgsqlDbType.Text), cancellationToken);

    private static readonly NamedSql EnqueueSql = NamedSql.Parse($"""
        WITH vm AS (SELECT {VoicemailColumns} FROM voicemail_messages WHERE id = @id)
        {NextJob("vm")}
        """);

    /// <summary>The work of a step was already done; make sure the chain continues.</summary>
    public Task EnqueueAsync(Guid id, string kind, CancellationToken cancellationToken) =>
        ExecuteAsync(EnqueueSql, Id(EnqueueSql, id).Set("next_kind", kind, NpgsqlDbType.Text), cancellationToken);

    private static readonly NamedSql SummarizedSql = NamedSql.Parse($"""
        WITH {LockCall},
        stored AS (
            UPDATE voicemail_messages SET summary = @summary, summary_status = 'completed', summary_error = NULL, updated_at = now(),
                {Announcing("4")}
            FROM call_lock
            WHERE id = @id AND summary_status <> 'completed'
            RETURNING {AnnouncedColumns}
        ),
        {Announce("stored")},
        event AS (
            {Event("stored", "voicemail-summary", "completed", "jsonb_build_object('voicemailId', id, 'source', @summary::jsonb->'source', 'urgency', @summary::jsonb->'urgency')")}
        )
        {SmsNotification("stored")}
        """);

    /// <summary>Stores the summary unless one is already there: one summary, one event.</summary>
    public Task RecordSummaryAsync(Guid id, string summaryJson, CancellationToken cancellationToken) =>
        ExecuteAsync(SummarizedSql, Id(SummarizedSql, id).Set("summary", summaryJson, NpgsqlDbType.Jsonb), cancellationToken);

    private static readonly NamedSql NoSummarySql = NamedSql.Parse($"""
        WITH {LockCall},
        stored AS (
            UPDATE voicemail_messages SET
                summary_status    = 'not_applicable',
                summary_error     = @reason,
                transcript_status = CASE WHEN transcript_status IN ('pending', 'processing') THEN coalesce(@transcript_status, transcript_status) ELSE transcript_status END,
                transcript_error  = CASE WHEN transcript_status IN ('pending', 'processing') AND @transcript_status IS NOT NULL THEN @transcript_error ELSE transcript_error END,
                updated_at        = now(),
                {Announcing("4")}
            FROM call_lock
            WHERE id = @id AND summary_status <> 'completed'
            RETURNING {AnnouncedColumns}
        ),
        {Announce("stored")},
        event AS (
            {Event("stored", "voicemail-summary", "not_applicable", "jsonb_build_object('voicemailId', id, 'reason', @reason::text)")}
        )
        {SmsNotification("stored")}
        """);

    /// <summary>
    /// There is nothing to summarise. A transcript still pending is closed as
    /// <paramref name="transcriptStatus"/> (failed when it never came, not_applicable when transcription is off).
    /// </summary>
    public Task RecordNoSummaryAsync(Guid id, string reason, string? transcriptStatus, string? transcriptError, CancellationToken cancellationToken) =>
        ExecuteAsync(NoSummarySql, Id(NoSummarySql, id)
            .Set("reason", reason, NpgsqlDbType.Text)
            .Set("transcript_status", transcriptStatus, NpgsqlDbType.Text)
            .Set("transcript_error", transcriptError, NpgsqlDbType.Text), cancellationToken);

    private static readonly NamedSql FailureSql = NamedSql.Parse($"""
        WITH {LockCall},
        vm AS (
            UPDATE voicemail_messages SET
                transcript_status = CASE WHEN @transcript_error::text IS NOT NULL AND transcript_status <> 'completed' THEN 'failed' ELSE transcript_status END,
                transcript_error  = CASE WHEN @transcript_error::text IS NOT NULL AND transcript_status <> 'completed' THEN @transcript_error ELSE transcript_error END,
                summary_status    = CASE WHEN @summary_status::text IS NOT NULL AND summary_status <> 'completed' THEN @summary_status ELSE summary_status END,
                summary_error     = CASE WHEN @summary_status::text IS NOT NULL AND summary_status <> 'completed' THEN @summary_error ELSE summary_error END,
                updated_at        = now(),
                {Announcing("CASE WHEN @summary_status::text IS NOT NULL AND summary_status <> 'completed' THEN 4 ELSE 0 END")}
            FROM call_lock
            WHERE id = @id
            RETURNING {AnnouncedColumns}
        ),
        {Announce("vm")},
        next AS (
            {NextJob("vm")}
        )
        {SmsNotification("vm", "@summary_status::text IS NOT NULL")}
        """);

    /// <summary>A step died for good: say so on the voicemail, in the runner's transaction.</summary>
    public static async Task RecordFailureAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id,
        string? transcriptError, string? summaryStatus, string? summaryError, string? nextKind, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(FailureSql.Text, connection, transaction);
        Id(FailureSql, id)
            .Set("transcript_error", transcriptError, NpgsqlDbType.Text)
            .Set("summary_status", summaryStatus, NpgsqlDbType.Text)
            .Set("summary_error", summaryError, NpgsqlDbType.Text)
            .Set("next_kind", nextKind, NpgsqlDbType.Text)
            .AddTo(command.Parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string TwilioCopyDeletionSql = $"""
        INSERT INTO jobs (workspace_id, kind, dedupe_key, payload)
        SELECT v.workspace_id, '{VoicemailJobs.DeleteTwilioRecording}', v.id::text, jsonb_build_object('{VoicemailJobs.PayloadKey}', v.id)
        FROM voicemail_messages v JOIN workspaces w ON w.id = v.workspace_id
        WHERE v.id = $1 AND w.delete_twilio_recordings
        ON CONFLICT (kind, dedupe_key) DO NOTHING
        """;

    /// <summary>Enqueues the deletion of Twilio's copy when the voicemail's workspace asks for it; otherwise nothing.</summary>
    public Task EnqueueTwilioCopyDeletionAsync(Guid id, CancellationToken cancellationToken) =>
        ExecuteAsync(TwilioCopyDeletionSql, cancellationToken, Id(id));

    private static readonly string TwilioCopyDeletedSql = $"""
        WITH vm AS (SELECT {VoicemailColumns} FROM voicemail_messages WHERE id = $1)
        {Event("vm", "voicemail-twilio-copy-deleted", "completed", "jsonb_build_object('voicemailId', id)")}
        """;

    /// <summary>Twilio no longer holds the recording: on the call's timeline, once.</summary>
    public Task RecordTwilioCopyDeletedAsync(Guid id, CancellationToken cancellationToken) =>
        ExecuteAsync(TwilioCopyDeletedSql, cancellationToken, Id(id));

    private Task ExecuteAsync(NamedSql sql, NamedSql.Parameters parameters, CancellationToken cancellationToken) =>
        ExecuteAsync(sql.Text, cancellationToken, parameters.ToArray());

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, sql, parameters);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        // A step that settled the voicemail wrote its domain event; a dead step's (RecordFailureAsync,
        // in the runner's transaction) is found by the readers' own periodic look.
        events?.Notify();
    }

    private static NpgsqlParameter Id(Guid id) => new() { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid };

    private static NamedSql.Parameters Id(NamedSql sql, Guid id) => sql.Bind().Set("id", id, NpgsqlDbType.Uuid);
}
