using Npgsql;

namespace Ovrsee.Data;

/// <summary>
/// A transaction that runs as the ovrsee_tenant role with app.workspace_id set, so row-level
/// security confines every statement in it to one workspace, WHERE clause or not.
/// </summary>
public sealed class WorkspaceScope : IAsyncDisposable
{
    private WorkspaceScope(Guid workspaceId, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        WorkspaceId = workspaceId;
        Connection = connection;
        Transaction = transaction;
    }

    public Guid WorkspaceId { get; }
    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }

    public static async Task<WorkspaceScope> BeginAsync(NpgsqlDataSource dataSource, Guid workspaceId, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Npgsql sends BEGIN together with this batch: one round trip to enter the scope.
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SET LOCAL ROLE ovrsee_tenant"),
                    new NpgsqlBatchCommand("SELECT set_config('app.workspace_id', $1, true)") { Parameters = { new() { Value = workspaceId.ToString() } } },
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return new WorkspaceScope(workspaceId, connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand CreateCommand(string sql) => new(sql, Connection, Transaction);

    public Task CommitAsync(CancellationToken cancellationToken = default) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
