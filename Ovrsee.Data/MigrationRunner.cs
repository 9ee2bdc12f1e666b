using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Ovrsee.Data;

public sealed class MigrationFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Applies the numbered migrations in order, each exactly once and each in its own transaction.
/// A session-level advisory lock serialises every process that starts at the same time, so
/// several replicas (or the AppHost and a test) never race.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner>? logger = null)
{
    // Any constant works; this one spells "OVRSEE" so it is recognisable in pg_locks.
    private const long AdvisoryLockKey = 0x4F5652534545;

    private readonly ILogger _logger = logger ?? NullLogger<MigrationRunner>.Instance;

    public Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync(Migration.Embedded, cancellationToken);

    /// <returns>The file names applied by this call (empty when the database was up to date).</returns>
    public async Task<IReadOnlyList<string>> ApplyAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    file_name  text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var appliedNow = new List<string>();
            foreach (var migration in migrations)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new MigrationFailedException(
                            $"Migration {migration.FileName} was changed after it was applied (checksum {checksum[..12]} in the database, " +
                            $"{migration.Checksum[..12]} in the file). Applied migrations are immutable: add a new numbered file instead.");
                    }
                    continue;
                }

                await ApplyOneAsync(connection, migration, cancellationToken);
                appliedNow.Add(migration.FileName);
                _logger.LogInformation("Applied migration {Migration}", migration.FileName);
            }

            return appliedNow;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }
        }
    }

    private static readonly NamedSql RecordSql = NamedSql.Parse(
        "INSERT INTO schema_migrations (version, file_name, checksum) VALUES (@version, @file_name, @checksum)");

    private static async Task ApplyOneAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var command = new NpgsqlCommand(migration.Sql, connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var record = new NpgsqlCommand(RecordSql.Text, connection, transaction))
            {
                RecordSql.Bind()
                    .Set("version", migration.Version)
                    .Set("file_name", migration.FileName)
                    .Set("checksum", migration.Checksum)
                    .AddTo(record.Parameters);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            var line = LineOf(migration.Sql, ex) is { } n ? $" (line {n})" : "";
            throw new MigrationFailedException(
                $"Migration {migration.FileName} failed and was rolled back: {ex.SqlState}: {ex.MessageText}{line}", ex);
        }
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Npgsql sends a file's statements one by one, so the error position counts from the start
    // of the failing statement, and a line is reported only when that statement is known.
    private static int? LineOf(string sql, PostgresException ex)
    {
        var statement = ex.BatchCommand?.CommandText?.Trim();
        var statementStart = string.IsNullOrEmpty(statement) ? -1 : sql.IndexOf(statement, StringComparison.Ordinal);
        if (ex.Position <= 0 || statementStart < 0)
        {
            return null;
        }
        var offset = Math.Min(statementStart + ex.Position - 1, sql.Length);
        return 1 + sql.AsSpan(0, offset).Count('\n');
    }
}
