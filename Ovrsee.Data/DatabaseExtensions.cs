using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ovrsee.Data;

public static class DatabaseExtensions
{
    public const string ConnectionName = "ovrsee";

    /// <summary>
    /// `dotnet Ovrsee.WebhookApi.dll migrate`: applies migrations and exits. Deploys run it once
    /// before a new revision takes traffic; the advisory lock makes concurrent runs safe.
    /// </summary>
    public static async Task<bool> TryRunMigrateCommandAsync(this IHost host, string[] args)
    {
        if (args.Length == 0 || args[0] != "migrate")
        {
            return false;
        }

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ovrsee.Migrations");
        try
        {
            var applied = await new MigrationRunner(
                host.Services.GetRequiredService<NpgsqlDataSource>(),
                host.Services.GetRequiredService<ILogger<MigrationRunner>>()).ApplyAsync();
            logger.LogInformation("Database is up to date ({Count} migration(s) applied now)", applied.Count);
            var configuration = host.Services.GetRequiredService<IConfiguration>();
            if (configuration["Database:ServiceLogin"] is { Length: > 0 } login)
            {
                await EnsureServiceLoginAsync(configuration.GetConnectionString(ConnectionName)!, login, configuration["Database:ServiceLoginPassword"]);
                logger.LogInformation("Service login {Login} may act as ovrsee_tenant and ovrsee_system", login);
            }
            Environment.ExitCode = 0;
        }
        catch (MigrationFailedException ex)
        {
            logger.LogCritical("{Message}", ex.Message);
            Environment.ExitCode = 1;
        }

        // The process ends here: disposing flushes the console logger.
        if (host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        return true;
    }

    /// <summary>
    /// The login the services use (the AppHost's local databases): never a superuser, so row-level
    /// security applies; without an explicit scope it acts as a tenant of no workspace and sees nothing.
    /// </summary>
    private static async Task EnsureServiceLoginAsync(string connectionString, string login, string? password)
    {
        // A data source of its own, without the host's logging: the statement holds the password.
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var quoted = "\"" + login.Replace("\"", "\"\"") + "\"";
        var literalPassword = password is null ? "NULL" : "'" + password.Replace("'", "''") + "'";
        await using var command = dataSource.CreateCommand($"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{login.Replace("'", "''")}') THEN
                    CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                END IF;
            END
            $$;
            ALTER ROLE {quoted} PASSWORD {literalPassword};
            GRANT ovrsee_tenant, ovrsee_system TO {quoted};
            ALTER ROLE {quoted} SET role = 'ovrsee_tenant';
            """);
        await command.ExecuteNonQueryAsync();
    }
}
