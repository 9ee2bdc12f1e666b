using Npgsql;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>Test data written as the superuser, the way an operator or a fixture would.</summary>
public static class Seed
{
    public static async Task<Guid> WorkspaceAsync(string admin, string name = "Test workspace", string? agentStreamUrl = null)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("INSERT INTO workspaces (name, agent_stream_url) VALUES ($1, $2) RETURNING id", connection)
        {
            Parameters = { new() { Value = name }, new() { Value = (object?)agentStreamUrl ?? DBNull.Value } },
        };
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public static async Task MemberAsync(string admin, Guid workspaceId, Guid userId, string role = "member")
    {
        await ExecuteAsync(admin, "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)", workspaceId, userId, role);
    }

    public static async Task<Guid> PhoneNumberAsync(string admin, Guid workspaceId, string e164, bool voicemailEnabled = true, bool active = true)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO user_phone_numbers (workspace_id, phone_number, twilio_phone_sid, voicemail_enabled, is_active)
            VALUES ($1, $2, 'PN' || md5($2), $3, $4) RETURNING id
            """, connection)
        {
            Parameters = { new() { Value = workspaceId }, new() { Value = e164 }, new() { Value = voicemailEnabled }, new() { Value = active } },
        };
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<Guid> CallAsync(string admin, Guid workspaceId, string callSid, string status = "completed", DateTimeOffset? createdAt = null)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO call_logs (workspace_id, call_sid, from_number, to_number, direction, status, status_rank, created_at)
            VALUES ($1, $2, '+14155550100', '+14155550199', 'inbound', $3, call_status_rank($3), $4) RETURNING id
            """, connection)
        {
            Parameters = { new() { Value = workspaceId }, new() { Value = callSid }, new() { Value = status }, new() { Value = createdAt ?? DateTimeOffset.UtcNow } },
        };
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A workspace with one member and one active number: what most webhook and API tests start from.</summary>
    public static async Task<(Guid Workspace, Guid User, string Number)> MemberWithNumberAsync(string admin)
    {
        var workspace = await WorkspaceAsync(admin);
        var user = Guid.NewGuid();
        await MemberAsync(admin, workspace, user);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await PhoneNumberAsync(admin, workspace, number);
        return (workspace, user, number);
    }

    public static string NewCallSid() => "CA" + Guid.NewGuid().ToString("N");

    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>The first column of every row.</summary>
    public static async Task<List<T>> ListAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        var values = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }
        return values;
    }

    public static async Task ExecuteAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        await command.ExecuteNonQueryAsync();
    }
}
