using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.WebhookApi.Jobs;

/// <summary>
/// The jobs table as a queue. The runner works across workspaces, so every statement here is a
/// system path (role ovrsee_system). Claiming uses FOR UPDATE SKIP LOCKED, so any number of
/// replicas can claim at once without waiting on or taking each other's jobs; every write after
/// the claim is conditional on (locked_by, attempts), the lease a runner holds.
/// </summary>
public sealed class JobStore(NpgsqlDataSource dataSource)
{
    /// <summary>Where migration 0030's trigger announces a job that is due now.</summary>
    public const string Channel = "ovrsee_jobs";

    /// <summary>
    /// Starts the statements an idle runner repeats (claiming, finding the next due time), so
    /// tracing can leave them out: an idle service must not fill the trace view with its polls.
    /// </summary>
    public const string PollMarker = "/* job runner poll */";

    public static bool IsPoll(NpgsqlBatch batch)
    {
        foreach (NpgsqlBatchCommand command in batch.BatchCommands)
        {
            if (command.CommandText.StartsWith(PollMarker, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    // A job is due when it is queued and its time has come, or when the runner that claimed it
    // stopped renewing its lease (its process died). A job whose last allowed attempt was
    // abandoned like that is declared dead here instead of being run again.
    private static readonly NamedSql ClaimSql = NamedSql.Parse($"""
        {PollMarker}
        WITH due AS (
            SELECT id FROM jobs
            WHERE ((state = 'queued' AND run_after <= now())
                OR (state = 'running' AND lease_expires_at < now()))
              AND kind = ANY (@kinds)
            ORDER BY run_after, created_at
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
        ),
        claimed AS (
            UPDATE jobs j SET
                max_attempts     = @max_attempts,
                state            = CASE WHEN j.attempts >= @max_attempts THEN 'dead' ELSE 'running' END,
                attempts         = CASE WHEN j.attempts >= @max_attempts THEN j.attempts ELSE j.attempts + 1 END,
                locked_by        = CASE WHEN j.attempts >= @max_attempts THEN NULL ELSE @runner_id END,
                lease_expires_at = CASE WHEN j.attempts >= @max_attempts THEN NULL ELSE now() + @lease END,
                completed_at     = CASE WHEN j.attempts >= @max_attempts THEN now() END,
                last_error       = CASE WHEN j.state = 'running'
                                        THEN 'Attempt ' || j.attempts || ' was abandoned: ' || coalesce(j.locked_by, 'its runner')
                                             || ' stopped renewing its lease.' || coalesce(' Before that: ' || j.last_error, '')
                                        WHEN j.attempts >= @max_attempts THEN coalesce(j.last_error, 'No attempts left.')
                                        ELSE j.last_error END,
                updated_at       = now()
            FROM due
            WHERE j.id = due.id
            RETURNING j.id, j.workspace_id, j.kind, j.payload, j.attempts, j.max_attempts, j.created_at, j.state
        )
        SELECT id, workspace_id, kind, payload::text, attempts, max_attempts, created_at FROM claimed WHERE state = 'running'
        """);

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string runnerId, int limit, IReadOnlyCollection<string> kinds, TimeSpan lease, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, ClaimSql.Text, ClaimSql.Bind()
            .Set("limit", limit, NpgsqlDbType.Integer)
            .Set("runner_id", runnerId, NpgsqlDbType.Text)
            .Set("lease", lease, NpgsqlDbType.Interval)
            .Set("kinds", kinds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Set("max_attempts", maxAttempts, NpgsqlDbType.Integer)
            .ToArray());
        var jobs = new List<ClaimedJob>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            using var payload = JsonDocument.Parse(reader.GetString(3));
            jobs.Add(new ClaimedJob(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.GetString(2),
                payload.RootElement.Clone(),
                reader.GetInt32(4),
                reader.GetInt32(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return jobs;
    }

    private const string NextDueSql = $"""
        {PollMarker}
        SELECT greatest(min(run_after) - now(), interval '0') FROM jobs WHERE state = 'queued' AND kind = ANY($1)
        """;

    /// <summary>How long until the earliest queued job is due (a retry's backoff), or null when none is queued.</summary>
    public async Task<TimeSpan?> NextDueInAsync(IReadOnlyCollection<string> kinds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, NextDueSql,
            new NpgsqlParameter { Value = kinds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return await batch.ExecuteScalarAsync(cancellationToken) is TimeSpan wait ? wait : null;
    }

    /// <summary>
    /// Holds a connection that LISTENs on <see cref="Channel"/> and calls <paramref name="wake"/>
    /// for every notification, until cancelled or the connection fails (then it throws).
    /// </summary>
    public async Task ListenAsync(Action wake, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        connection.Notification += (_, _) => wake();
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }
        // Anything enqueued while we were not listening yet.
        wake();
        while (true)
        {
            await connection.WaitAsync(cancellationToken);
        }
    }

    private static readonly NamedSql RenewSql = NamedSql.Parse("""
        UPDATE jobs j SET lease_expires_at = now() + @lease, updated_at = now()
        FROM unnest(@job_ids::uuid[], @attempts::int[]) AS held (id, attempts)
        WHERE j.id = held.id AND j.attempts = held.attempts AND j.locked_by = @runner_id AND j.state = 'running'
        RETURNING j.id
        """);

    /// <summary>Extends the leases this runner still holds; returns the jobs it still holds.</summary>
    public async Task<IReadOnlySet<Guid>> RenewAsync(string runnerId, IReadOnlyCollection<ClaimedJob> jobs, TimeSpan lease, CancellationToken cancellationToken)
    {
        var held = new HashSet<Guid>();
        if (jobs.Count == 0)
        {
            return held;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, RenewSql.Text, RenewSql.Bind()
            .Set("runner_id", runnerId, NpgsqlDbType.Text)
            .Set("lease", lease, NpgsqlDbType.Interval)
            .Set("job_ids", jobs.Select(j => j.Id).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid)
            .Set("attempts", jobs.Select(j => j.Attempt).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Integer)
            .ToArray());
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add(reader.GetGuid(0));
        }
        return held;
    }

    // The job is still this runner's attempt (HeldParameters binds these three).
    private const string HeldBy = "id = @job_id AND locked_by = @runner_id AND attempts = @attempt AND state = 'running'";

    private static readonly NamedSql CompleteSql = NamedSql.Parse($"""
        UPDATE jobs SET state = 'succeeded', completed_at = now(), locked_by = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE {HeldBy}
        """);

    /// <returns>False when the runner no longer held the job: its result is not recorded.</returns>
    public Task<bool> CompleteAsync(string runnerId, ClaimedJob job, CancellationToken cancellationToken) =>
        ExecuteHeldAsync(CompleteSql, HeldParameters(CompleteSql, runnerId, job), cancellationToken);

    private static readonly NamedSql RequeueSql = NamedSql.Parse($"""
        UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_after = now() + @delay,
                        locked_by = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE {HeldBy}
        """);

    /// <summary>
    /// Puts the job back in the queue without counting the attempt: the handler is waiting on
    /// something (RunAgainAfter), or this runner is shutting down and another should take over now.
    /// </summary>
    public Task<bool> RequeueAsync(string runnerId, ClaimedJob job, TimeSpan delay, CancellationToken cancellationToken) =>
        ExecuteHeldAsync(RequeueSql, HeldParameters(RequeueSql, runnerId, job).Set("delay", delay, NpgsqlDbType.Interval), cancellationToken);

    private static readonly NamedSql FailSql = NamedSql.Parse($"""
        UPDATE jobs SET
            state            = CASE WHEN @permanent OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
            run_after        = CASE WHEN @permanent OR attempts >= max_attempts THEN run_after ELSE now() + @retry_delay END,
            completed_at     = CASE WHEN @permanent OR attempts >= max_attempts THEN now() END,
            last_error       = @error,
            locked_by        = NULL,
            lease_expires_at = NULL,
            updated_at       = now()
        WHERE {HeldBy}
        RETURNING state
        """);

    /// <summary>
    /// Records a failed attempt: back to the queue after <paramref name="retryDelay"/>, or dead when
    /// the failure is permanent or no attempts are left, in which case the handler records the
    /// failure on its own rows in the same transaction.
    /// </summary>
    /// <returns>The job's new state, or null when the runner no longer held it.</returns>
    public async Task<string?> FailAsync(string runnerId, ClaimedJob job, string error, bool permanent, TimeSpan retryDelay, IJobHandler handler, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var role = new NpgsqlCommand("SET LOCAL ROLE ovrsee_system", connection, transaction))
        {
            await role.ExecuteNonQueryAsync(cancellationToken);
        }

        string? state;
        await using (var command = new NpgsqlCommand(FailSql.Text, connection, transaction))
        {
            HeldParameters(FailSql, runnerId, job)
                .Set("permanent", permanent, NpgsqlDbType.Boolean)
                .Set("retry_delay", retryDelay, NpgsqlDbType.Interval)
                .Set("error", error, NpgsqlDbType.Text)
                .AddTo(command.Parameters);
            state = await command.ExecuteScalarAsync(cancellationToken) as string;
        }

        if (state == "dead")
        {
            // The job is dead whatever the handler's bookkeeping does; a failure there must not
            // keep it alive (and retrying it forever).
            await transaction.SaveAsync("on_dead", cancellationToken);
            try
            {
                await handler.OnDeadAsync(job, error, connection, transaction, cancellationToken);
            }
            catch (Exception ex) when (ex is PostgresException or PermanentJobException)
            {
                await transaction.RollbackAsync("on_dead", cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return state;
    }

    private static NamedSql.Parameters HeldParameters(NamedSql sql, string runnerId, ClaimedJob job) => sql.Bind()
        .Set("job_id", job.Id, NpgsqlDbType.Uuid)
        .Set("runner_id", runnerId, NpgsqlDbType.Text)
        .Set("attempt", job.Attempt, NpgsqlDbType.Integer);

    private async Task<bool> ExecuteHeldAsync(NamedSql sql, NamedSql.Parameters parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = SystemPath.CreateBatch(connection, sql.Text, parameters.ToArray());
        return await batch.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
