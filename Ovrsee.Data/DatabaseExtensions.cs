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
}
