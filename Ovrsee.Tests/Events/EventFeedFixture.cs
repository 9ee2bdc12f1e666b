using Npgsql;
using NpgsqlTypes;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Events;

/// <summary>The WebhookApi with a one-second heartbeat, and a client whose requests may stay open.</summary>
public class EventFeedFixture : WebhookApiFixture
{
    public HttpClient Http { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["EventFeed__HeartbeatInterval"] = "00:00:01",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Http = new HttpClient { BaseAddress = Service.HttpEndpoint, Timeout = Timeout.InfiniteTimeSpan };
    }

    public override async Task DisposeAsync()
    {
        Http.Dispose();
        await base.DisposeAsync();
    }
}

public sealed record InsertedEvent(Guid Id, string Cursor, string Type);

/// <summary>Events written as the producers will write them: a row in domain_events, as the superuser.</summary>
public static class DomainEvents
{
    // Notifies like a writer's EventSignal does (here inside the transaction, delivered on its commit).
    public const string Insert = """
        WITH inserted AS (
            INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at, data)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            RETURNING id, tx_id::text || '.' || position AS cursor
        )
        SELECT id, cursor, pg_notify('ovrsee_events', '') FROM inserted
        """;

    public static async Task<InsertedEvent> InsertAsync(string admin, Guid workspace, string type = "call.ringing", string data = "{}", Guid? callId = null, int? sequence = null)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        return await InsertAsync(connection, workspace, type, data, callId, sequence);
    }

    /// <summary>On a connection the caller holds, e.g. inside a transaction it keeps open.</summary>
    public static async Task<InsertedEvent> InsertAsync(NpgsqlConnection connection, Guid workspace, string type = "call.ringing", string data = "{}", Guid? callId = null, int? sequence = null)
    {
        await using var command = new NpgsqlCommand(Insert, connection)
        {
            Parameters =
            {
                new() { Value = workspace, NpgsqlDbType = NpgsqlDbType.Uuid },
                new() { Value = (object?)callId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid },
                new() { Value = (object?)sequence ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
                new() { Value = type, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = new DateTimeOffset(2026, 12, 2, 5, 30, 15, 123, TimeSpan.Zero), NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = data, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new InsertedEvent(reader.GetGuid(0), reader.GetString(1), type);
    }
}
