using System.Diagnostics;
using Npgsql;
using Ovrsee.Data;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Foundation;

public class MigrationTests
{
    private static async Task<string> EmptyDatabaseAsync()
    {
        var server = await TestPostgres.GetServerAsync();
        var name = "empty_" + Guid.NewGuid().ToString("N")[..12];
        await server.CreateDatabaseAsync(name, template: null);
        return server.AdminConnectionString(name);
    }

    [Fact]
    public async Task Applying_migrations_twice_applies_them_once()
    {
        var admin = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(admin);
        var runner = new MigrationRunner(dataSource);

        var first = await runner.ApplyAsync();
        var second = await runner.ApplyAsync();

        Assert.Equal(Migration.Embedded.Select(m => m.FileName), first);
        Assert.Empty(second);
        Assert.Equal(Migration.Embedded.Count, (int)await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    [Trait("Category", "Slow")] // four WebhookApi processes
    public async Task Four_processes_migrating_at_once_apply_each_migration_once()
    {
        var admin = await EmptyDatabaseAsync();
        var serviceDll = typeof(Ovrsee.WebhookApi.AssemblyMarker).Assembly.Location;

        var processes = Enumerable.Range(0, 4).Select(_ =>
        {
            var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            startInfo.ArgumentList.Add(serviceDll);
            startInfo.ArgumentList.Add("migrate");
            // Four logins and three waits on the advisory lock at once, on a machine that may be busy:
            // generous connect and statement timeouts, so only a real failure fails.
            startInfo.Environment["ConnectionStrings__ovrsee"] = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Timeout = 120, CommandTimeout = 600 }.ToString();
            startInfo.Environment["DOTNET_ENVIRONMENT"] = "Development";
            return Process.Start(startInfo)!;
        }).ToList();
        var outputs = await Task.WhenAll(processes.Select(async p =>
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return (p.ExitCode, Output: await stdout + await stderr);
        }));

        Assert.All(outputs, o => Assert.True(o.ExitCode == 0, o.Output));
        var rows = await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM schema_migrations");
        var distinct = await Seed.ScalarAsync<long>(admin, "SELECT count(DISTINCT version) FROM schema_migrations");
        Assert.Equal(Migration.Embedded.Count, (int)rows);
        Assert.Equal(rows, distinct);
        Assert.Equal(1, outputs.Count(o => o.Output.Contains($"({Migration.Embedded.Count} migration(s) applied now)")));
    }

    [Fact]
    public async Task A_failing_migration_rolls_back_and_names_the_file_and_error()
    {
        var admin = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(admin);
        var migrations = new List<Migration>(Migration.Embedded)
        {
            new(9001, "9001_half_done.sql", "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;"),
        };

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => new MigrationRunner(dataSource).ApplyAsync(migrations));

        Assert.Contains("9001_half_done.sql", error.Message);
        Assert.Contains("no_such_table", error.Message);
        Assert.Null(await Seed.ScalarAsync<string>(admin, "SELECT to_regclass('half_done')::text"));
        Assert.Equal(0, (int)await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM schema_migrations WHERE version = 9001"));
        // Everything before the failing file stays applied.
        Assert.Equal(Migration.Embedded.Count, (int)await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_is_refused()
    {
        var admin = await EmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(admin);
        await new MigrationRunner(dataSource).ApplyAsync();
        var edited = Migration.Embedded.Select((m, i) => i == 0 ? m with { Sql = m.Sql + "\n-- edited" } : m).ToList();

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => new MigrationRunner(dataSource).ApplyAsync(edited));

        Assert.Contains(Migration.Embedded[0].FileName, error.Message);
        Assert.Contains("changed after it was applied", error.Message);
    }

    [Fact]
    public async Task New_calls_and_domain_events_get_time_ordered_ids_and_rows_with_random_ids_keep_working()
    {
        var admin = await EmptyDatabaseAsync();
        await using (var dataSource = NpgsqlDataSource.Create(admin))
        {
            await new MigrationRunner(dataSource).ApplyAsync();
        }
        var workspace = await Seed.WorkspaceAsync(admin);
        // A call stored before migration 0150, with a random id.
        var before = Guid.NewGuid();
        await Seed.ExecuteAsync(admin, "INSERT INTO call_logs (id, workspace_id, call_sid, status, status_rank) VALUES ($1, $2, $3, 'completed', 9)",
            before, workspace, Seed.NewCallSid());

        var calls = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            calls.Add(await Seed.CallAsync(admin, workspace, Seed.NewCallSid()));
            await Task.Delay(2); // a later millisecond
        }
        var events = await Seed.ListAsync<Guid>(admin, """
            INSERT INTO domain_events (workspace_id, call_log_id, call_seq, type, occurred_at)
            SELECT $1, c, n, 'call.ringing', now() FROM unnest($2::uuid[]) WITH ORDINALITY AS u (c, n)
            RETURNING id
            """, workspace, new[] { before, calls[0], calls[1], calls[2] });

        foreach (var id in calls.Concat(events))
        {
            Assert.Equal(7, id.Version);
            Assert.Equal(0b10, id.Variant >> 2);
            // The first 48 bits are the creation time in Unix milliseconds.
            var created = DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(id.ToString("N")[..12], 16));
            Assert.InRange(created, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        }
        // PostgreSQL orders them as they were created (uuid comparison is bytewise).
        Assert.Equal(calls, await Seed.ListAsync<Guid>(admin, "SELECT id FROM call_logs WHERE id = ANY ($1) ORDER BY id", calls.ToArray()));
        Assert.Equal(4, events.Count);
        Assert.Equal(4L, await Seed.ScalarAsync<long>(admin, "SELECT count(*) FROM domain_events WHERE call_log_id = ANY ($1)", new[] { before, calls[0], calls[1], calls[2] }));
    }
}
