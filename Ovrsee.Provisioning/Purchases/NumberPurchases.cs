using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.Provisioning.Purchases;

/// <summary>A row of number_purchases (see migration 0007).</summary>
public sealed record NumberPurchase(
    Guid Id, Guid WorkspaceId, Guid UserId, string? IdempotencyKey, string RequestHash, string PhoneNumber,
    string? FriendlyName, string State, short? ResponseStatus, string? ResponseBody)
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public bool IsPending => State == Pending;
}

/// <summary>number_purchases, in explicit SQL, inside the caller's transaction (a WorkspaceScope, or the reconciler's SystemPath transaction).</summary>
public static class NumberPurchases
{
    private const string Columns =
        "id, workspace_id, user_id, idempotency_key, request_hash, phone_number, friendly_name, state, response_status, response_body::text";

    public static async Task<NumberPurchase?> FindByKeyAsync(WorkspaceScope scope, string idempotencyKey, CancellationToken cancellationToken)
    {
        // Row-level security limits this to the scope's workspace, which is the key's namespace.
        await using var command = scope.CreateCommand($"SELECT {Columns} FROM number_purchases WHERE idempotency_key = $1");
        command.Parameters.Add(new() { Value = idempotencyKey });
        return await ReadOneAsync(command, cancellationToken);
    }

    private static readonly NamedSql InsertSql = NamedSql.Parse($"""
        INSERT INTO number_purchases (workspace_id, user_id, idempotency_key, request_hash, phone_number, friendly_name)
        VALUES (@workspace_id, @user_id, @idempotency_key, @request_hash, @phone_number, @friendly_name)
        ON CONFLICT DO NOTHING
        RETURNING {Columns}
        """);

    /// <summary>
    /// Records the intent to buy. Null when a row is in the way: the same key in this workspace,
    /// or a pending purchase of the same number anywhere (number_purchases_one_pending_per_number).
    /// </summary>
    public static async Task<NumberPurchase?> TryInsertAsync(
        WorkspaceScope scope, Guid userId, string? idempotencyKey, string requestHash, string phoneNumber, string? friendlyName,
        CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand(InsertSql.Text);
        InsertSql.Bind()
            .Set("workspace_id", scope.WorkspaceId)
            .Set("user_id", userId)
            .Set("idempotency_key", idempotencyKey, NpgsqlDbType.Text)
            .Set("request_hash", requestHash)
            .Set("phone_number", phoneNumber)
            .Set("friendly_name", friendlyName, NpgsqlDbType.Text)
            .AddTo(command.Parameters);
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>What <see cref="TransactionLock"/> locks: one purchase, by its id.</summary>
    private const string LockKind = "number_purchase";

    /// <summary>
    /// Takes the purchase's lock for the rest of the transaction, without waiting: null means
    /// another live request or the reconciler holds it (in progress). A crashed holder's lock is
    /// gone with its connection. An advisory lock, not FOR UPDATE, so that the transaction has no
    /// id while Twilio works (see <see cref="TransactionLock"/>).
    /// </summary>
    public static async Task<NumberPurchase?> TryLockAsync(WorkspaceScope scope, Guid id, CancellationToken cancellationToken)
    {
        if (!await TransactionLock.TryTakeAsync(scope.Connection, scope.Transaction, LockKind, id, cancellationToken))
        {
            return null;
        }
        // Read after the lock: the previous holder's outcome is committed before its lock ends.
        await using var command = scope.CreateCommand($"SELECT {Columns} FROM number_purchases WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>
    /// The oldest pending purchase nobody has touched for <paramref name="untouchedFor"/> and no live
    /// request holds, locked for the reconciler's transaction.
    /// </summary>
    public static async Task<NumberPurchase?> ClaimStaleAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan untouchedFor, CancellationToken cancellationToken)
    {
        var candidates = new List<Guid>();
        await using (var list = new NpgsqlCommand("""
            SELECT id FROM number_purchases
            WHERE state = 'pending' AND updated_at < now() - $1
            ORDER BY updated_at
            LIMIT 20
            """, connection, transaction))
        {
            list.Parameters.Add(new() { Value = untouchedFor });
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                candidates.Add(reader.GetGuid(0));
            }
        }

        foreach (var id in candidates)
        {
            // Held by a live request (or another replica's reconciler): skip it, as SKIP LOCKED would.
            if (!await TransactionLock.TryTakeAsync(connection, transaction, LockKind, id, cancellationToken))
            {
                continue;
            }
            await using var read = new NpgsqlCommand($"""
                SELECT {Columns} FROM number_purchases
                WHERE id = $1 AND state = 'pending' AND updated_at < now() - $2
                """, connection, transaction);
            read.Parameters.Add(new() { Value = id });
            read.Parameters.Add(new() { Value = untouchedFor });
            if (await ReadOneAsync(read, cancellationToken) is { } purchase)
            {
                return purchase;
            }
        }
        return null;
    }

    private static readonly NamedSql CompleteSql = NamedSql.Parse("""
        UPDATE number_purchases
        SET state = 'completed', phone_number_id = @phone_number_id, twilio_phone_sid = @twilio_sid,
            response_status = @response_status, response_body = @response_body::jsonb,
            attempts = attempts + 1, last_error = NULL, completed_at = now(), updated_at = now()
        WHERE id = @id
        """);

    public static Task CompleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, Guid phoneNumberId, string twilioSid,
        int status, string responseJson, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, CompleteSql, CompleteSql.Bind()
            .Set("id", id)
            .Set("phone_number_id", phoneNumberId)
            .Set("twilio_sid", twilioSid)
            .Set("response_status", (short)status)
            .Set("response_body", responseJson), cancellationToken);

    private static readonly NamedSql FailSql = NamedSql.Parse("""
        UPDATE number_purchases
        SET state = 'failed', response_status = @response_status, response_body = @response_body::jsonb, last_error = @error,
            attempts = attempts + 1, completed_at = now(), updated_at = now()
        WHERE id = @id
        """);

    /// <summary>Twilio refused, so nothing was bought: the refusal is the key's answer from now on.</summary>
    public static Task FailAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, int status, string responseJson, string error,
        CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, FailSql, FailSql.Bind()
            .Set("id", id)
            .Set("response_status", (short)status)
            .Set("response_body", responseJson)
            .Set("error", error), cancellationToken);

    /// <summary>Still pending (the number may be on the account): noted for the reconciler and for operators.</summary>
    public static Task NoteUnconfirmedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string error, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            "UPDATE number_purchases SET attempts = attempts + 1, last_error = $2, updated_at = now() WHERE id = $1",
            cancellationToken, id, error);

    /// <summary>Nothing was bought and nothing will be: forget the intent, so the same key can try again.</summary>
    public static Task DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "DELETE FROM number_purchases WHERE id = $1 AND state = 'pending'", cancellationToken, id);

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, NamedSql sql, NamedSql.Parameters parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql.Text, connection, transaction);
        parameters.AddTo(command.Parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<NumberPurchase?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new NumberPurchase(
            reader.GetGuid(0),
            reader.GetGuid(1),
            reader.GetGuid(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetString(4),
            reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetInt16(8),
            reader.IsDBNull(9) ? null : reader.GetString(9));
    }
}
