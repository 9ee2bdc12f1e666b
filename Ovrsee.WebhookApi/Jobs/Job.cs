using System.Text.Json;

namespace Ovrsee.WebhookApi.Jobs;

/// <summary>
/// A job this runner holds. <see cref="Attempt"/> together with the runner's id is the lease:
/// every later write about the job is conditional on both, so a runner that lost the job
/// (its lease expired and another runner claimed it) can no longer change it.
/// </summary>
public sealed record ClaimedJob(
    Guid Id,
    Guid? WorkspaceId,
    string Kind,
    JsonElement Payload,
    int Attempt,
    int MaxAttempts,
    DateTimeOffset CreatedAt)
{
    public Guid GetGuid(string property) =>
        Payload.ValueKind == JsonValueKind.Object
        && Payload.TryGetProperty(property, out var value)
        && value.ValueKind == JsonValueKind.String
        && Guid.TryParse(value.GetString(), out var guid)
            ? guid
            : throw new PermanentJobException($"The job's payload has no '{property}' id.");
}

/// <summary>What a handler asks the runner to do with a job that did not fail.</summary>
public abstract record JobResult
{
    public static JobResult Done { get; } = new Completed();

    /// <summary>Not ready yet (waiting on something outside our control): run again later without counting an attempt.</summary>
    public static JobResult RunAgainAfter(TimeSpan delay, string reason) => new NotYet(delay, reason);

    public sealed record Completed : JobResult;

    public sealed record NotYet(TimeSpan Delay, string Reason) : JobResult;
}

/// <summary>A failure that retrying cannot fix (a 404, a refused host, a bad payload): the job is dead at once.</summary>
public sealed class PermanentJobException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One kind of job. Running a job twice must have the effect of running it once.</summary>
public interface IJobHandler
{
    string Kind { get; }

    Task<JobResult> RunAsync(ClaimedJob job, CancellationToken cancellationToken);

    /// <summary>
    /// The job has failed for good: record that where people look (the voicemail row). Runs in the
    /// runner's transaction (role ovrsee_system) that marks the job dead, so both happen or neither.
    /// </summary>
    Task OnDeadAsync(ClaimedJob job, string error, Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;
}
