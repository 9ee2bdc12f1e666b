using Npgsql;

namespace Ovrsee.AppHost;

/// <summary>
/// A workspace, owner and number to try things with on a local database. Fixed ids, so it is
/// the same on every run and scripts can rely on it. Never applied to an external database.
/// The workspace's agent is the built-in one, so a simulated call takes the product's main path
/// (Connect → Media Stream → agent → voicemail when the caller asks) out of the box; an owner can
/// change it through PUT /api/aloha/settings/agent and the seed leaves that choice alone.
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
                Statement("INSERT INTO workspaces (id, name, agent_builtin) VALUES ($1, 'Dev workspace', true) ON CONFLICT (id) DO NOTHING", WorkspaceId),
                // A dev database seeded before workspaces had a built-in agent gets it too, unless
                // someone has chosen an agent through the API since (agent_updated_at is then set).
                Statement("UPDATE workspaces SET agent_builtin = true WHERE id = $1 AND agent_updated_at IS NULL AND agent_stream_url IS NULL AND NOT agent_builtin", WorkspaceId),
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
