using Npgsql;

namespace Ovrsee.AppHost;

/// <summary>
/// A workspace, owner and number to try things with on a local database. Fixed ids, so it is
/// the same on every run and scripts can rely on it. Never applied to an external database.
/// </summary>
internal static class DevSeed
{
    public static readonly Guid WorkspaceId = Guid.Parse("00000000-0000-4000-8000-00000000d001");
    public static readonly Guid OwnerUserId = Guid.Parse("00000000-0000-4000-8000-00000000a001");
    public const string PhoneNumber = "+15005550006";

    public static async Task ApplyAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Statement("INSERT INTO workspaces (id, name) VALUES ($1, 'Dev workspace') ON CONFLICT (id) DO NOTHING", WorkspaceId),
                Statement("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING", WorkspaceId, OwnerUserId),
                Statement("""
                    INSERT INTO user_phone_numbers (workspace_id, user_id, phone_number, friendly_name, voicemail_enabled)
                    SELECT $1, $2, $3, 'Dev number', true
                    WHERE NOT EXISTS (SELECT FROM user_phone_numbers WHERE phone_number = $3 AND is_active)
                    """, WorkspaceId, OwnerUserId, PhoneNumber),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Statement(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }
}
