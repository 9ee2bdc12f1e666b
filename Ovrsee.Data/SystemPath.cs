using Npgsql;

namespace Ovrsee.Data;

/// <summary>
/// The explicit way to cross tenants (a webhook knows a CallSid or a dialled number, not a
/// workspace). The statement runs as ovrsee_system in the same round trip as the role switch
/// (migration 0145's enter_system_path, a transaction-local SET ROLE that does not warn as the first
/// statement of a pipeline); it ends with the batch's implicit transaction, so the connection goes
/// back to the pool without it. Grep for SystemPath to find every cross-tenant statement.
/// </summary>
public static class SystemPath
{
    public static NpgsqlBatch CreateBatch(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters) =>
        WithStatement(CreateBatch(connection), sql, parameters);

    /// <summary>
    /// The same, with PostgreSQL told to keep the statement's generic plan (migration 0160), for a
    /// statement whose one plan fits every value but whose arrays make a fresh plan look cheaper.
    /// </summary>
    public static NpgsqlBatch CreateBatchWithGenericPlans(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters) =>
        WithStatement(Enter(connection, "CALL enter_system_path_with_generic_plans()"), sql, parameters);

    /// <summary>The role switch alone: add the statements, which then share its implicit transaction.</summary>
    public static NpgsqlBatch CreateBatch(NpgsqlConnection connection) => Enter(connection, "CALL enter_system_path()");

    private static NpgsqlBatch Enter(NpgsqlConnection connection, string call) =>
        new(connection) { BatchCommands = { new NpgsqlBatchCommand(call) } };

    private static NpgsqlBatch WithStatement(NpgsqlBatch batch, string sql, NpgsqlParameter[] parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        statement.Parameters.AddRange(parameters);
        batch.BatchCommands.Add(statement);
        return batch;
    }

    /// <summary>
    /// A transaction that runs as ovrsee_system, for the cross-tenant jobs that need several
    /// statements in one transaction (Provisioning's purchase reconciler). SET LOCAL ends with it.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginTransactionAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SET LOCAL ROLE ovrsee_system", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }
}
