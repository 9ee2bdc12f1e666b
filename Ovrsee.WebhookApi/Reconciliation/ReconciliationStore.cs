using Npgsql;
using NpgsqlTypes;
using Ovrsee.Data;

namespace Ovrsee.WebhookApi.Reconciliation;

public sealed record ReconciledNumber(Guid Id, Guid WorkspaceId, string PhoneNumber, DateTimeOffset? LastReconciledAt);

/// <summary>What we hold for a call Twilio listed: enough to decide whether it needs repair.</summary>
public sealed record StoredCall(string CallSid, Guid? PhoneNumberId, string Status, int StatusRank, int? DurationSeconds);

public sealed record StuckCall(string CallSid, Guid? PhoneNumberId);

/// <summary>
/// Reconciliation's reads and its bookkeeping. The repairs themselves are written by
/// <c>CallbackRecorder</c>, the webhooks' write path. Cross-tenant (it works for every
/// workspace's numbers), hence SystemPath.
/// </summary>
public sealed class ReconciliationStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ReconciledNumber>> ActiveNumbersAsync(Guid? workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, """
            SELECT id, workspace_id, phone_number, last_reconciled_at FROM user_phone_numbers
            WHERE is_active AND ($1::uuid IS NULL OR workspace_id = $1)
            ORDER BY last_reconciled_at NULLS FIRST, id
            """, Uuid(workspaceId));
        var numbers = new List<ReconciledNumber>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            numbers.Add(new ReconciledNumber(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return numbers;
    }

    public async Task<IReadOnlyDictionary<string, StoredCall>> CallsAsync(IReadOnlyCollection<string> callSids, CancellationToken cancellationToken)
    {
        var calls = new Dictionary<string, StoredCall>(StringComparer.Ordinal);
        if (callSids.Count == 0)
        {
            return calls;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection,
            "SELECT call_sid, phone_number_id, status, status_rank, duration_seconds FROM call_logs WHERE call_sid = ANY ($1)",
            new NpgsqlParameter { Value = callSids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var call = new StoredCall(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2),
                reader.GetInt16(3), reader.IsDBNull(4) ? null : reader.GetInt32(4));
            calls[call.CallSid] = call;
        }
        return calls;
    }

    /// <summary>The recordings among <paramref name="recordingSids"/> we hold as completed voicemails.</summary>
    public async Task<IReadOnlySet<string>> CompletedVoicemailsAsync(IReadOnlyCollection<string> recordingSids, CancellationToken cancellationToken)
    {
        var completed = new HashSet<string>(StringComparer.Ordinal);
        if (recordingSids.Count == 0)
        {
            return completed;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection,
            "SELECT recording_sid FROM voicemail_messages WHERE recording_sid = ANY ($1) AND recording_status = 'completed'",
            new NpgsqlParameter { Value = recordingSids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            completed.Add(reader.GetString(0));
        }
        return completed;
    }

    // ended_at IS NULL: the open calls' partial index (migration 0170); status_rank < 9 says the same.
    private static readonly NamedSql StuckCallsSql = NamedSql.Parse("""
        SELECT call_sid, phone_number_id FROM call_logs
        WHERE ended_at IS NULL AND status_rank < 9 AND created_at < now() - @older_than
          AND coalesce(started_at, created_at) < now() - @older_than
          AND phone_number_id IS NOT NULL
          AND (@workspace_id::uuid IS NULL OR workspace_id = @workspace_id)
        ORDER BY created_at
        LIMIT @limit
        """);

    /// <summary>Calls on a workspace number that have not ended though they started more than <paramref name="olderThan"/> ago.</summary>
    public async Task<IReadOnlyList<StuckCall>> StuckCallsAsync(TimeSpan olderThan, int limit, Guid? workspaceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, StuckCallsSql.Text, StuckCallsSql.Bind()
            .Set("older_than", olderThan, NpgsqlDbType.Interval)
            .Set("workspace_id", workspaceId, NpgsqlDbType.Uuid)
            .Set("limit", limit, NpgsqlDbType.Integer)
            .ToArray());
        var calls = new List<StuckCall>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            calls.Add(new StuckCall(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetGuid(1)));
        }
        return calls;
    }

    private static readonly NamedSql RecordNumberSql = NamedSql.Parse("""
        UPDATE user_phone_numbers
        SET last_reconciled_at = CASE WHEN @reconciled_at::timestamptz IS NULL THEN last_reconciled_at
                                      ELSE greatest(last_reconciled_at, @reconciled_at) END,
            reconciled_repairs = reconciled_repairs + @repairs
        WHERE id = @phone_number_id
        """);

    /// <summary>Adds repairs to the number's count and, when it was compared in full, moves its reconciled point forward (never back).</summary>
    public async Task RecordNumberAsync(Guid phoneNumberId, DateTimeOffset? reconciledAt, int repairs, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, RecordNumberSql.Text, RecordNumberSql.Bind()
            .Set("phone_number_id", phoneNumberId, NpgsqlDbType.Uuid)
            .Set("reconciled_at", reconciledAt, NpgsqlDbType.TimestampTz)
            .Set("repairs", (long)repairs, NpgsqlDbType.Bigint)
            .ToArray());
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// One run at a time across replicas: a session-level advisory lock on a connection held for
    /// the run. If the replica dies, PostgreSQL ends the session and the lock with it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLockAsync(TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var deadline = time.GetUtcNow() + wait;
            while (true)
            {
                await using (var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLockKey})", connection))
                {
                    if (await command.ExecuteScalarAsync(cancellationToken) is true)
                    {
                        return new RunLock(connection);
                    }
                }
                if (time.GetUtcNow() >= deadline)
                {
                    await connection.DisposeAsync();
                    return null;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // Distinct from the migration runner's key. Public: an operator (or a test) finds the holder in pg_locks.
    public const long AdvisoryLockKey = 0x0_5EE_2020_0070;

    private sealed class RunLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // A pooled connection keeps session locks: release it before the connection goes back.
                await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLockKey})", connection);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static NpgsqlParameter Uuid(Guid? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid };
}
