using Npgsql;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Events;

namespace Ovrsee.Tests.Events;

/// <summary>
/// The outbox reader against the real PostgreSQL, in process. Transaction ids are numbers: where they
/// gain a digit (999 → 1000) the order must stay numeric. It once sorted them as text (a bare
/// ORDER BY tx_id bound to the text output column), and the live feed dropped every event of a
/// batch that crossed such a boundary after the first larger id.
/// </summary>
public sealed class DomainEventLogTests
{
    // Old transactions, written as if committed long ago (below any cluster's horizon, even a fresh
    // one's); they cross two powers of ten.
    private static readonly ulong[] TxIds = [8, 9, 10, 11, 98, 99, 100, 101];

    private static async Task<(TestDatabase Database, Guid Workspace, Guid[] Ids)> OutboxAsync()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var workspace = await Seed.WorkspaceAsync(database.AdminConnectionString, "Order");
        var ids = new List<Guid>();
        await using var connection = new NpgsqlConnection(database.AdminConnectionString);
        await connection.OpenAsync();
        // Inserted newest first, so neither position nor insertion order can pass for the right order.
        foreach (var txId in TxIds.Reverse())
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO domain_events (tx_id, workspace_id, type, occurred_at)
                VALUES ($1::text::xid8, $2, 'call.ringing', now()) RETURNING id
                """, connection)
            {
                Parameters = { new() { Value = txId.ToString(System.Globalization.CultureInfo.InvariantCulture) }, new() { Value = workspace } },
            };
            ids.Add((Guid)(await insert.ExecuteScalarAsync())!);
        }
        ids.Reverse();
        return (database, workspace, [.. ids]);
    }

    [Fact]
    public async Task Reads_in_numeric_transaction_order_across_powers_of_ten()
    {
        var (database, workspace, ids) = await OutboxAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ServiceConnectionString);
        var log = new DomainEventLog(dataSource);

        var all = await log.ReadAsync(EventCursor.Start, 100, CancellationToken.None);
        var own = await log.ReadWorkspaceAsync(workspace, EventCursor.Start, 100, CancellationToken.None);

        Assert.Equal(TxIds, all.Select(e => e.TxId));
        Assert.Equal(ids, all.Select(e => e.Id));
        Assert.Equal(ids, own.Select(e => e.Id));
    }

    [Fact]
    public async Task Reading_in_small_batches_from_each_cursor_neither_skips_nor_repeats()
    {
        var (database, workspace, ids) = await OutboxAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ServiceConnectionString);
        var log = new DomainEventLog(dataSource);

        var read = new List<Guid>();
        var cursor = EventCursor.Start;
        for (var batches = 0; batches < 20; batches++)
        {
            var batch = await log.ReadWorkspaceAsync(workspace, cursor, 3, CancellationToken.None);
            if (batch.Count == 0)
            {
                break;
            }
            read.AddRange(batch.Select(e => e.Id));
            cursor = batch[^1].Cursor;
        }

        Assert.Equal(ids, read);
    }
}
