using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Ovrsee.Auth;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Calls;

/// <summary>The front end's view of a workspace's calls. Every query runs inside the caller's workspace scope.</summary>
public static class CallsApi
{
    public static RouteGroupBuilder MapCallsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/aloha/calls")
            .RequireWorkspace()
            .WithTags("Calls");

        api.MapGet("/", ListCalls)
            .WithCallFilterParameters(paged: true)
            .WithName("ListCalls")
            .WithSummary("A workspace's calls, newest first, with filters and cursor paging.");
        api.MapGet("/export.csv", ExportCalls)
            .WithCallFilterParameters(paged: false)
            .WithName("ExportCalls")
            .WithSummary("The calls list as CSV, with the list's filters, streamed: every matching call, no paging.")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();
        api.MapGet("/{id}", GetCall)
            .WithName("GetCall")
            .WithSummary("One call with its timeline, voicemail, transcript, summary and pipeline jobs.");
        api.MapGet("/{id}/voicemail/recording", GetRecording)
            .WithRecordingMediaTypes()
            .WithName("GetVoicemailRecording")
            .WithSummary("The voicemail audio, served by us: no Twilio credentials or URLs reach the browser.");
        return api;
    }

    /// <param name="status">Comma-separated statuses, e.g. completed,no-answer.</param>
    /// <param name="direction">inbound or outbound.</param>
    /// <param name="phoneNumberId">The workspace number the call came in on.</param>
    /// <param name="from">Caller, E.164 (encode + as %2B).</param>
    /// <param name="to">Called number, E.164.</param>
    /// <param name="since">Calls created at or after this ISO-8601 time.</param>
    /// <param name="until">Calls created before this ISO-8601 time.</param>
    /// <param name="hasVoicemail">Only calls with (true) or without (false) a recorded voicemail.</param>
    /// <param name="outcome">Comma-separated outcomes, e.g. forwarded,voicemail.</param>
    /// <param name="limit">Page size, 1-200 (default 50).</param>
    /// <param name="cursor">nextCursor from the previous page.</param>
    public static async Task<Results<Ok<CallPage>, ValidationProblem>> ListCalls(
        HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken,
        string? status = null, string? direction = null, string? phoneNumberId = null, string? from = null, string? to = null,
        string? since = null, string? until = null, string? hasVoicemail = null, string? limit = null, string? cursor = null, string? outcome = null)
    {
        var query = CallListQuery.Parse(context.Request.Query, out var errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid call filters.");
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        return TypedResults.Ok(await CallLogReader.ListAsync(scope, query, cancellationToken));
    }

    /// <param name="status">Comma-separated statuses, e.g. completed,no-answer.</param>
    /// <param name="direction">inbound or outbound.</param>
    /// <param name="phoneNumberId">The workspace number the call came in on.</param>
    /// <param name="from">Caller, E.164 (encode + as %2B).</param>
    /// <param name="to">Called number, E.164.</param>
    /// <param name="since">Calls created at or after this ISO-8601 time.</param>
    /// <param name="until">Calls created before this ISO-8601 time.</param>
    /// <param name="hasVoicemail">Only calls with (true) or without (false) a recorded voicemail.</param>
    /// <param name="outcome">Comma-separated outcomes, e.g. forwarded,voicemail.</param>
    public static async Task<IResult> ExportCalls(
        HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken,
        string? status = null, string? direction = null, string? phoneNumberId = null, string? from = null, string? to = null,
        string? since = null, string? until = null, string? hasVoicemail = null, string? outcome = null)
    {
        var query = CallListQuery.Parse(context.Request.Query, out var errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid call filters.");
        }

        // Rows go out as PostgreSQL sends them: memory stays flat however many calls match.
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        context.Response.ContentType = CallsCsv.ContentType;
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"calls-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        context.Response.Headers.CacheControl = "private, no-store";
        await CallsCsv.WriteAsync(context.Response.Body, CallLogReader.StreamAsync(scope, query with { After = null }, cancellationToken), cancellationToken);
        return TypedResults.Empty;
    }

    public static async Task<Results<Ok<CallDetail>, ProblemHttpResult, ValidationProblem>> GetCall(
        string id, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var callId))
        {
            return InvalidId();
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        var call = await CallLogReader.GetAsync(scope, callId, PlaybackUrl, cancellationToken);
        // Another workspace's call is simply not found: its existence is not ours to reveal.
        return call is null ? CallNotFound() : TypedResults.Ok(call);
    }

    public static async Task<IResult> GetRecording(string id, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var callId))
        {
            return InvalidId();
        }

        RecordingLookup? lookup;
        await using (var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken))
        {
            lookup = await CallLogReader.RecordingAsync(scope, callId, cancellationToken);
        }
        var storage = context.RequestServices.GetService<IRecordingStorage>();
        var recording = lookup?.StoragePath is { } key && storage is not null ? await storage.OpenReadAsync(key, cancellationToken) : null;
        if (recording is null)
        {
            return NoRecording(context, lookup);
        }
        context.Response.Headers.CacheControl = "private, max-age=300";
        return TypedResults.Stream(recording.Content, recording.ContentType, enableRangeProcessing: recording.Content.CanSeek);
    }

    /// <summary>Why there is nothing to play: never "(yet)" for something that will not come.</summary>
    private static ProblemHttpResult NoRecording(HttpContext context, RecordingLookup? lookup)
    {
        if (lookup is null)
        {
            return TypedResults.Problem(statusCode: 404, title: "No voicemail", detail: "The caller did not leave a voicemail on this call.");
        }
        if (lookup.RecordingStatus != "completed")
        {
            return TypedResults.Problem(statusCode: 404, title: "No recording",
                detail: $"Twilio reported the voicemail recording as {lookup.RecordingStatus}: there is no audio to play.");
        }
        if (lookup.FetchState == "dead")
        {
            return TypedResults.Problem(statusCode: 404, title: "Recording could not be fetched",
                detail: $"Fetching the recording from Twilio failed for good after {lookup.FetchAttempts} attempt(s): {lookup.FetchError}",
                extensions: new Dictionary<string, object?> { ["fetchState"] = "dead" });
        }
        if (lookup.StoragePath is not null)
        {
            return TypedResults.Problem(statusCode: 404, title: "Recording missing from storage",
                detail: "The recording was downloaded, but its audio is no longer in our recording storage.");
        }
        context.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem(statusCode: 404, title: "Recording not downloaded yet",
            detail: $"The recording is being fetched from Twilio (job {lookup.FetchState ?? "not started"}); try again in a few seconds.",
            extensions: new Dictionary<string, object?> { ["fetchState"] = lookup.FetchState });
    }

    private static string PlaybackUrl(Guid callId) => $"/api/aloha/calls/{callId}/voicemail/recording";

    private static ValidationProblem InvalidId() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["Must be a call id (UUID)."] }, title: "Invalid call id.");

    private static ProblemHttpResult CallNotFound() => TypedResults.Problem(statusCode: 404, title: "Call not found");
}
