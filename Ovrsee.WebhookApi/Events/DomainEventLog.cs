using Npgsql;
using NpgsqlTypes;
using Ovrsee.Data;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// Reads the outbox in commit-safe order (migration 0120): rows of transactions below the
/// snapshot horizon, after a cursor, ordered by (tx_id, position). A reader that keeps its last
/// cursor never skips a row, however late a transaction commits.
/// </summary>
public sealed class DomainEventLog(NpgsqlDataSource dataSource)
{
    // tx_id goes out as text under another name, and the ORDER BYs name the table's column: a bare
    // "ORDER BY tx_id" binds to an output column of that name first, and sorted as text, 1000 comes
    // before 999 (a reader that met a power of ten in mid-batch handed events out of order, and the
    // live feed dropped those it then took for repeats).
    private const string Columns = "position, tx_id::text AS tx_text, id, workspace_id, call_log_id, call_seq, type, occurred_at, data::text";

    private static readonly NamedSql AfterSql = NamedSql.Parse($"""
        SELECT {Columns}
        FROM domain_events
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
          AND (tx_id, position) > (@after_tx_id::text::xid8, @after_position)
        ORDER BY domain_events.tx_id, domain_events.position
        LIMIT @limit
        """);

    private static readonly NamedSql WorkspaceAfterSql = NamedSql.Parse($"""
        SELECT {Columns}
        FROM domain_events
        WHERE workspace_id = @workspace_id
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
          AND (tx_id, position) > (@after_tx_id::text::xid8, @after_position)
        ORDER BY domain_events.tx_id, domain_events.position
        LIMIT @limit
        """);

    /// <summary>Every workspace's events (the webhook dispatcher, the live feed's shared reader).</summary>
    public async Task<IReadOnlyList<DomainEvent>> ReadAsync(EventCursor after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, AfterSql.Text, CursorParameters(AfterSql, after, limit).ToArray());
        return await ReadAllAsync(batch, cancellationToken);
    }

    /// <summary>One workspace's events, read as that tenant (row-level security applies).</summary>
    public async Task<IReadOnlyList<DomainEvent>> ReadWorkspaceAsync(Guid workspaceId, EventCursor after, int limit, CancellationToken cancellationToken)
    {
        await using var scope = await WorkspaceScope.BeginAsync(dataSource, workspaceId, cancellationToken);
        await using var command = scope.CreateCommand(WorkspaceAfterSql.Text);
        CursorParameters(WorkspaceAfterSql, after, limit).Set("workspace_id", workspaceId, NpgsqlDbType.Uuid).AddTo(command.Parameters);
        var events = new List<DomainEvent>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(Read(reader));
            }
        }
        await scope.CommitAsync(cancellationToken);
        return events;
    }

    /// <summary>
    /// Where a reader that wants only what happens from now on starts: just before the oldest
    /// transaction still running, so nothing that commits later is skipped.
    /// </summary>
    public async Task<EventCursor> HeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", connection);
        var horizon = ulong.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!, System.Globalization.CultureInfo.InvariantCulture);
        return new EventCursor(horizon - 1, long.MaxValue);
    }

    private static NamedSql.Parameters CursorParameters(NamedSql sql, EventCursor after, int limit) => sql.Bind()
        .Set("after_tx_id", after.TxId.ToString(System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Text)
        .Set("after_position", after.Position, NpgsqlDbType.Bigint)
        .Set("limit", limit, NpgsqlDbType.Integer);

    private static async Task<IReadOnlyList<DomainEvent>> ReadAllAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        var events = new List<DomainEvent>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(Read(reader));
        }
        return events;
    }

    private static DomainEvent Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        ulong.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture),
        reader.GetGuid(2),
        reader.GetGuid(3),
        reader.IsDBNull(4) ? null : reader.GetGuid(4),
        reader.IsDBNull(5) ? null : reader.GetInt32(5),
        reader.GetString(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.GetString(8));
}
