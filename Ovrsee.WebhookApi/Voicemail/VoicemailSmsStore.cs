using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>What the SMS about one voicemail needs, and what an earlier attempt left behind.</summary>
/// <param name="NotifyTo">The number's voicemail_sms_to now (null: the owner turned it off).</param>
/// <param name="Pending">The text an earlier attempt committed before asking Twilio, if any.</param>
public sealed record VoicemailSmsContext(
    Guid VoicemailId,
    Guid? WorkspaceId,
    string? NotifyTo,
    string? NumberE164,
    string? NumberName,
    string? TimeZone,
    string? CallerNumber,
    DateTimeOffset LeftAt,
    string? Transcript,
    string? SummaryJson,
    string? State,
    PendingSms? Pending);

public sealed record PendingSms(string To, string From, string Body);

/// <summary>
/// voicemail_sms: one row per notified voicemail, the state machine that keeps the text to one
/// (sending → sent | failed). Job-runner code, so SystemPath.
/// </summary>
public sealed class VoicemailSmsStore(NpgsqlDataSource dataSource)
{
    private const string GetSql = """
        SELECT v.id, v.workspace_id, n.voicemail_sms_to, n.phone_number, n.friendly_name, n.routing->>'timeZone',
               c.from_number, v.created_at, v.transcript, v.summary::text,
               s.state, s.to_number, s.from_number, s.body
        FROM voicemail_messages v
        JOIN call_logs c ON c.id = v.call_log_id
        LEFT JOIN user_phone_numbers n ON n.id = c.phone_number_id
        LEFT JOIN voicemail_sms s ON s.voicemail_id = v.id
        WHERE v.id = $1
        """;

    public async Task<VoicemailSmsContext?> GetAsync(Guid voicemailId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, GetSql, new NpgsqlParameter { Value = voicemailId });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        var state = Text(10);
        return new VoicemailSmsContext(
            reader.GetGuid(0),
            reader.IsDBNull(1) ? null : reader.GetGuid(1),
            Text(2), Text(3), Text(4), Text(5), Text(6),
            reader.GetFieldValue<DateTimeOffset>(7),
            Text(8), Text(9),
            state,
            state is null ? null : new PendingSms(Text(11)!, Text(12)!, Text(13)!));
    }

    private static readonly NamedSql BeginSql = NamedSql.Parse("""
        INSERT INTO voicemail_sms (voicemail_id, workspace_id, to_number, from_number, body, state)
        VALUES (@voicemail_id, @workspace_id, @to_number, @from_number, @body, 'sending')
        ON CONFLICT (voicemail_id) DO NOTHING
        """);

    /// <summary>Committed before Twilio is asked: from here on a retry looks before it sends.</summary>
    public Task BeginAsync(VoicemailSmsContext voicemail, PendingSms sms, CancellationToken cancellationToken) =>
        ExecuteAsync(BeginSql.Text, cancellationToken, BeginSql.Bind()
            .Set("voicemail_id", voicemail.VoicemailId)
            .Set("workspace_id", voicemail.WorkspaceId, NpgsqlDbType.Uuid)
            .Set("to_number", sms.To)
            .Set("from_number", sms.From)
            .Set("body", sms.Body)
            .ToArray());

    // Its timeline event in the same statement: the call detail shows the text went out, once.
    private const string SentSql = """
        WITH sent AS (
            UPDATE voicemail_sms SET state = 'sent', message_sid = $2, sent_at = now(), updated_at = now(), error = NULL
            WHERE voicemail_id = $1 AND state <> 'sent'
            RETURNING voicemail_id, to_number, message_sid
        )
        INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
        SELECT v.call_log_id, v.workspace_id, v.call_sid, 'voicemail-sms', 'sent', now(), v.recording_sid,
               jsonb_build_object('voicemailId', v.id, 'to', sent.to_number, 'messageSid', sent.message_sid)
        FROM sent JOIN voicemail_messages v ON v.id = sent.voicemail_id
        ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
        """;

    public Task MarkSentAsync(Guid voicemailId, string messageSid, CancellationToken cancellationToken) =>
        ExecuteAsync(SentSql, cancellationToken, new() { Value = voicemailId }, new() { Value = messageSid });

    /// <summary>Twilio refused the text for good: say why, on the row and the call's timeline. In the runner's transaction.</summary>
    public static async Task MarkFailedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid voicemailId, string error, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            WITH failed AS (
                UPDATE voicemail_sms SET state = 'failed', error = $2, updated_at = now()
                WHERE voicemail_id = $1 AND state = 'sending'
                RETURNING voicemail_id, to_number
            )
            INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, status, occurred_at, dedupe_key, payload)
            SELECT v.call_log_id, v.workspace_id, v.call_sid, 'voicemail-sms', 'failed', now(), v.recording_sid,
                   jsonb_build_object('voicemailId', v.id, 'to', failed.to_number, 'error', $2::text)
            FROM failed JOIN voicemail_messages v ON v.id = failed.voicemail_id
            ON CONFLICT (call_sid, kind, dedupe_key) DO NOTHING
            """, connection, transaction)
        {
            Parameters = { new() { Value = voicemailId }, new() { Value = error } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, sql, parameters);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
