using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.Data;

/// <summary>A user's membership of one workspace, with their role in it (owner, admin, member).</summary>
public sealed record WorkspaceMembership(Guid WorkspaceId, string Role);

/// <summary>
/// Which workspaces a user belongs to, from workspace_members. One of the explicit cross-tenant
/// paths (<see cref="SystemPath"/>): the request does not know its workspace until this answers.
/// </summary>
public static class WorkspaceMemberships
{
    private const string ForUserSql = "SELECT workspace_id, role FROM workspace_members WHERE user_id = $1 ORDER BY workspace_id";

    /// <returns>The user's memberships, in workspace id order; empty when they belong to none.</returns>
    public static async Task<IReadOnlyList<WorkspaceMembership>> ForUserAsync(NpgsqlDataSource dataSource, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, ForUserSql,
            new NpgsqlParameter { Value = userId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var memberships = new List<WorkspaceMembership>();
        while (await reader.ReadAsync(cancellationToken))
        {
            memberships.Add(new WorkspaceMembership(reader.GetGuid(0), reader.GetString(1)));
        }
        return memberships;
    }
}
