using Npgsql;
using NpgsqlTypes;
using Ovrsee.Routing;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// Checks a stream's <c>start</c> against the database: the callLogId and workspaceId that our
/// TwiML put in the stream's parameters must belong to the CallSid Twilio names, in the same
/// account, on a call that has not ended and has not had a stream yet. The same statement reads the
/// number's routing and voicemail setting, which a transfer needs. Cross-tenant by nature (a
/// stream knows a CallSid, not a tenant scope), hence SystemPath; one statement, one round trip.
/// </summary>
/// <remarks>
/// The last two conditions are about replays. Twilio signs a WebSocket handshake over the URL
/// alone, so one captured signature opens any stream; what it cannot supply is a live call that
/// our TwiML has not streamed yet. Our TwiML connects each call to one stream, and Twilio does not
/// reconnect a stream that ended, so a second stream-started for a call is never Twilio.
/// </remarks>
public sealed class StreamCallLookup(NpgsqlDataSource dataSource)
{
    private static readonly NamedSql Sql = NamedSql.Parse("""
        SELECT c.from_number, c.to_number, w.agent_stream_url, w.agent_builtin, n.routing::text, coalesce(n.voicemail_enabled, true)
        FROM call_logs c JOIN workspaces w ON w.id = c.workspace_id
        LEFT JOIN user_phone_numbers n ON n.id = c.phone_number_id
        WHERE c.call_sid = @call_sid AND c.id = @call_log_id AND c.workspace_id = @workspace_id
          AND (@account_sid::text IS NULL OR c.account_sid IS NULL OR c.account_sid = @account_sid)
          AND c.status_rank < 9
          AND NOT EXISTS (SELECT FROM call_events e WHERE e.call_sid = c.call_sid AND e.kind = 'stream-started')
        """);

    /// <returns>Null when the parameters do not match that call: the stream must be refused.</returns>
    public async Task<AgentCall?> FindAsync(string callSid, string streamSid, string? accountSid, Guid callLogId, Guid workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, Sql.Text, Sql.Bind()
            .Set("call_sid", callSid, NpgsqlDbType.Text)
            .Set("call_log_id", callLogId, NpgsqlDbType.Uuid)
            .Set("workspace_id", workspaceId, NpgsqlDbType.Uuid)
            .Set("account_sid", accountSid, NpgsqlDbType.Text)
            .ToArray());
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var routingJson = reader.IsDBNull(4) ? null : reader.GetString(4);
        return new AgentCall(
            callSid,
            streamSid,
            accountSid,
            callLogId,
            workspaceId,
            reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetBoolean(3),
            routingJson,
            reader.GetBoolean(5),
            // Parsed once per stream, so the caller's key presses need no lookup.
            RoutingSettings.FromJson(routingJson).TransferOnDtmfZero);
    }
}
