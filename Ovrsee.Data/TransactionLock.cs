using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.Data;

/// <summary>
/// A lock on one thing (a purchase, a number) for the rest of a transaction, taken without writing
/// to its row. Why not <c>SELECT … FOR UPDATE</c>: a row lock marks the row, which gives the
/// transaction an id at once; held while Twilio works, that id holds back the snapshot horizon of
/// the whole cluster, and the outbox's readers (live feed, webhooks) of every tenant wait behind it.
/// An advisory lock gives no id, ends with the transaction (or the connection, if the process dies),
/// and the transaction gets its id only at the writes just before its commit.
/// </summary>
/// <remarks>
/// Read the locked thing in a statement after the lock: a statement's snapshot is taken when it
/// starts, so only a later one sees what the previous holder committed.
/// </remarks>
public static class TransactionLock
{
    /// <summary>The lock, or false at once when another transaction holds it.</summary>
    public static async Task<bool> TryTakeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ':' || $2::text, 0))", connection, transaction, kind, id);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The lock, waiting for its holder's transaction to end.</summary>
    public static async Task TakeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2::text, 0))", connection, transaction, kind, id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, Guid id) => new(sql, connection, transaction)
    {
        Parameters =
        {
            new() { Value = kind, NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid },
        },
    };
}
