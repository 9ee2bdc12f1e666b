using Npgsql;
using Ovrsee.Data;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Foundation;

public class RowLevelSecurityTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _service = null!;
    private Guid _a, _b;

    public async Task InitializeAsync()
    {
        _db = await TestPostgres.CreateDatabaseAsync();
        _service = NpgsqlDataSource.Create(_db.ServiceConnectionString);
        _a = await Seed.WorkspaceAsync(_db.AdminConnectionString, "A");
        _b = await Seed.WorkspaceAsync(_db.AdminConnectionString, "B");
        for (var i = 0; i < 3; i++)
        {
            await Seed.CallAsync(_db.AdminConnectionString, _a, Seed.NewCallSid());
            await Seed.CallAsync(_db.AdminConnectionString, _b, Seed.NewCallSid());
        }
        await Seed.PhoneNumberAsync(_db.AdminConnectionString, _b, "+14155550123");
    }

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task A_where_less_select_in_a_workspace_scope_sees_only_that_workspace()
    {
        await using var scope = await WorkspaceScope.BeginAsync(_service, _a);
        await using var command = scope.CreateCommand("SELECT DISTINCT workspace_id FROM call_logs");
        await using var reader = await command.ExecuteReaderAsync();
        var seen = new List<Guid>();
        while (await reader.ReadAsync()) seen.Add(reader.GetGuid(0));

        Assert.Equal([_a], seen);
    }

    [Fact]
    public async Task A_where_less_update_and_delete_touch_only_that_workspace()
    {
        await using (var scope = await WorkspaceScope.BeginAsync(_service, _a))
        {
            await using var update = scope.CreateCommand("UPDATE call_logs SET status = 'failed'");
            Assert.Equal(3, await update.ExecuteNonQueryAsync());
            await using var delete = scope.CreateCommand("DELETE FROM user_phone_numbers");
            Assert.Equal(0, await delete.ExecuteNonQueryAsync());
            await scope.CommitAsync();
        }

        Assert.Equal(3, (int)await Seed.ScalarAsync<long>(_db.AdminConnectionString, "SELECT count(*) FROM call_logs WHERE workspace_id = $1 AND status = 'completed'", _b));
        Assert.Equal(1, (int)await Seed.ScalarAsync<long>(_db.AdminConnectionString, "SELECT count(*) FROM user_phone_numbers WHERE workspace_id = $1", _b));
    }

    [Fact]
    public async Task Writing_a_row_for_another_workspace_is_refused()
    {
        await using var scope = await WorkspaceScope.BeginAsync(_service, _a);
        await using var insert = scope.CreateCommand(
            "INSERT INTO call_logs (workspace_id, call_sid, status, status_rank) VALUES ($1, $2, 'ringing', 3)");
        insert.Parameters.Add(new() { Value = _b });
        insert.Parameters.Add(new() { Value = Seed.NewCallSid() });

        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_service_login_outside_any_scope_sees_nothing()
    {
        await using var command = _service.CreateCommand("SELECT count(*) FROM call_logs");
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_system_path_sees_every_workspace_and_only_for_that_statement()
    {
        await using var connection = await _service.OpenConnectionAsync();
        await using (var batch = SystemPath.CreateBatch(connection, "SELECT count(DISTINCT workspace_id) FROM call_logs"))
        {
            Assert.Equal(2L, await batch.ExecuteScalarAsync());
        }
        await using var after = new NpgsqlCommand("SELECT count(*) FROM call_logs", connection);
        Assert.Equal(0L, await after.ExecuteScalarAsync());
    }

    // SET LOCAL as a pipeline's first statement is outside any transaction block as far as
    // PostgreSQL knows, so every group-commit batch logged and sent "SET LOCAL can only be used
    // in transaction blocks" (19,468 lines in one benchmark run), though the role did apply.
    [Fact]
    public async Task A_system_path_switches_role_without_a_warning_and_only_for_its_batch()
    {
        await using var connection = await _service.OpenConnectionAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add($"{e.Notice.Severity}: {e.Notice.MessageText}");
        await using (var batch = SystemPath.CreateBatch(connection, "SELECT current_user::text"))
        {
            Assert.Equal("ovrsee_system", await batch.ExecuteScalarAsync());
        }
        await using (var batch = SystemPath.CreateBatch(connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO call_events (call_log_id, workspace_id, call_sid, kind, occurred_at, dedupe_key) SELECT id, workspace_id, call_sid, 'test', now(), 'x' FROM call_logs WHERE workspace_id = $1 LIMIT 1") { Parameters = { new() { Value = _b } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT current_user::text"));
            Assert.Equal("ovrsee_system", await batch.ExecuteScalarAsync());
        }
        await using var after = new NpgsqlCommand("SELECT current_user::text", connection);
        Assert.NotEqual("ovrsee_system", await after.ExecuteScalarAsync());
        Assert.Empty(notices);
    }

    // The group commit's numbers read was planned afresh for every batch (a custom plan each time,
    // 0.2 ms for a 0.03 ms read): its batch asks for the generic plan, for that batch alone.
    [Fact]
    public async Task A_system_path_with_generic_plans_keeps_them_and_the_role_only_for_its_batch()
    {
        await using var connection = await _service.OpenConnectionAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add($"{e.Notice.Severity}: {e.Notice.MessageText}");
        await using (var batch = SystemPath.CreateBatchWithGenericPlans(connection, "SELECT current_user::text || ' ' || current_setting('plan_cache_mode')"))
        {
            Assert.Equal("ovrsee_system force_generic_plan", await batch.ExecuteScalarAsync());
        }
        await using var after = new NpgsqlCommand("SELECT current_user::text || ' ' || current_setting('plan_cache_mode')", connection);
        var (user, mode) = ((string)(await after.ExecuteScalarAsync())!).Split(' ') is [var u, var m] ? (u, m) : ("", "");
        Assert.NotEqual("ovrsee_system", user);
        Assert.Equal("auto", mode);
        Assert.Empty(notices);
    }
}
