using Npgsql;
using NpgsqlTypes;
using Ovrsee.Routing;

namespace Ovrsee.Provisioning.PhoneNumbers;

/// <summary>
/// user_phone_numbers, in explicit SQL. Everything but <see cref="ActiveWorkspaceOfAsync"/> runs in
/// the caller's transaction, normally a WorkspaceScope, so row-level security keeps each
/// workspace to its own numbers even where a statement has no workspace filter.
/// </summary>
public static class PhoneNumberStore
{
    private const string Columns =
        "id, phone_number, friendly_name, twilio_phone_sid, is_active, voicemail_enabled, webhooks_configured_at, released_at, created_at, updated_at, " +
        "last_reconciled_at, reconciled_repairs, routing, voicemail_sms_to";

    public static async Task<IReadOnlyList<PhoneNumberDto>> ListAsync(WorkspaceScope scope, bool includeReleased, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand($"""
            SELECT {Columns} FROM user_phone_numbers
            WHERE $1 OR is_active
            ORDER BY is_active DESC, created_at DESC, id
            """);
        command.Parameters.Add(new() { Value = includeReleased });
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <param name="forUpdate">
    /// Lock the number until the scope ends, waiting for whoever holds it: the caller is about to
    /// change it, in Twilio too. An advisory lock, not FOR UPDATE, so that the transaction has no id
    /// while Twilio works (see <see cref="TransactionLock"/>); every writer of a number takes it here.
    /// </param>
    public static async Task<PhoneNumberDto?> GetAsync(WorkspaceScope scope, Guid id, bool forUpdate, CancellationToken cancellationToken)
    {
        if (forUpdate)
        {
            await TransactionLock.TakeAsync(scope.Connection, scope.Transaction, "phone_number", id, cancellationToken);
        }
        await using var command = scope.CreateCommand($"SELECT {Columns} FROM user_phone_numbers WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    private static readonly NamedSql InsertSql = NamedSql.Parse($"""
        INSERT INTO user_phone_numbers (workspace_id, user_id, phone_number, twilio_phone_sid, friendly_name, webhooks_configured_at)
        VALUES (@workspace_id, @user_id, @phone_number, @twilio_sid, @friendly_name, CASE WHEN @webhooks_configured THEN now() END)
        RETURNING {Columns}
        """);

    /// <summary>A bought number. <paramref name="webhooksConfigured"/>: Twilio already sends its calls to us.</summary>
    public static async Task<PhoneNumberDto> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid workspaceId, Guid userId,
        string phoneNumber, string twilioSid, string? friendlyName, bool webhooksConfigured, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertSql.Text, connection, transaction);
        InsertSql.Bind()
            .Set("workspace_id", workspaceId)
            .Set("user_id", userId)
            .Set("phone_number", phoneNumber)
            .Set("twilio_sid", twilioSid)
            .Set("friendly_name", friendlyName, NpgsqlDbType.Text)
            .Set("webhooks_configured", webhooksConfigured)
            .AddTo(command.Parameters);
        return (await ReadAllAsync(command, cancellationToken)).Single();
    }

    // A *_set flag says the request named the field: its value (null too) replaces the stored one.
    private static readonly NamedSql UpdateSql = NamedSql.Parse($"""
        UPDATE user_phone_numbers
        SET voicemail_enabled = coalesce(@voicemail_enabled, voicemail_enabled),
            friendly_name = CASE WHEN @friendly_name_set THEN @friendly_name ELSE friendly_name END,
            routing = CASE WHEN @routing_set THEN @routing ELSE routing END,
            voicemail_sms_to = CASE WHEN @voicemail_sms_to_set THEN @voicemail_sms_to ELSE voicemail_sms_to END,
            updated_at = now()
        WHERE id = @id
        RETURNING {Columns}
        """);

    public static async Task<PhoneNumberDto> UpdateAsync(WorkspaceScope scope, Guid id, PhoneNumberChange change, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand(UpdateSql.Text);
        UpdateSql.Bind()
            .Set("id", id)
            .Set("voicemail_enabled", change.VoicemailEnabled, NpgsqlDbType.Boolean)
            .Set("friendly_name_set", change.FriendlyNameSet)
            .Set("friendly_name", change.FriendlyName, NpgsqlDbType.Text)
            .Set("routing_set", change.RoutingSet)
            .Set("routing", change.Routing?.ToJson(), NpgsqlDbType.Jsonb)
            .Set("voicemail_sms_to_set", change.VoicemailSmsToSet)
            .Set("voicemail_sms_to", change.VoicemailSmsTo, NpgsqlDbType.Text)
            .AddTo(command.Parameters);
        return (await ReadAllAsync(command, cancellationToken)).Single();
    }

    /// <summary>Twilio now sends the number's calls to us; also fills in its SID if we did not know it.</summary>
    public static async Task<PhoneNumberDto> MarkWebhooksConfiguredAsync(WorkspaceScope scope, Guid id, string twilioSid, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand($"""
            UPDATE user_phone_numbers
            SET webhooks_configured_at = now(), twilio_phone_sid = $2, updated_at = now()
            WHERE id = $1
            RETURNING {Columns}
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = twilioSid });
        return (await ReadAllAsync(command, cancellationToken)).Single();
    }

    /// <summary>Released in Twilio: the row stays, inactive, so call history keeps its number.</summary>
    public static async Task<PhoneNumberDto> MarkReleasedAsync(WorkspaceScope scope, Guid id, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand($"""
            UPDATE user_phone_numbers
            SET is_active = false, released_at = now(), updated_at = now()
            WHERE id = $1
            RETURNING {Columns}
            """);
        command.Parameters.Add(new() { Value = id });
        return (await ReadAllAsync(command, cancellationToken)).Single();
    }

    /// <summary>
    /// The workspace where <paramref name="phoneNumber"/> is active, if any. A SystemPath: a number
    /// rings in one workspace only, so buying it must see past this one.
    /// </summary>
    public static async Task<Guid?> ActiveWorkspaceOfAsync(NpgsqlDataSource dataSource, string phoneNumber, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection,
            "SELECT workspace_id FROM user_phone_numbers WHERE phone_number = $1 AND is_active",
            new NpgsqlParameter { Value = phoneNumber });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetGuid(0) : null;
    }

    private static async Task<IReadOnlyList<PhoneNumberDto>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var numbers = new List<PhoneNumberDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            numbers.Add(new PhoneNumberDto(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetBoolean(4),
                reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetInt64(11),
                RoutingSettings.FromJson(reader.IsDBNull(12) ? null : reader.GetString(12)),
                reader.IsDBNull(13) ? null : reader.GetString(13)));
        }
        return numbers;
    }
}
