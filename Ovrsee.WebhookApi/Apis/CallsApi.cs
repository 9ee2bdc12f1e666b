using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Ovrsee.Auth;
using Ovrsee.WebhookApi.Infrastructure;
using Ovrsee.WebhookApi.Infrastructure.Recordings;
using Ovrsee.WebhookApi.Model;

namespace Ovrsee.WebhookApi.Apis;

/// <summary>The front end's view of a workspace's calls. Every query runs inside the caller's workspace scope.</summary>
public static class CallsApi
{
    public static RouteGroupBuilder MapCallsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/aloha/calls")
            .RequireWorkspace()
            .WithTags("Calls");

        api.MapGet("/", ListCalls)
            .WithName("ListCalls")
            .WithSummary("A workspace's calls, newest first, with filters and cursor paging.");
        api.MapGet("/{id}", GetCall)
            .WithName("GetCall")
            .WithSummary("One call with its timeline, voicemail, transcript, summary and pipeline jobs.");
        api.MapGet("/{id}/voicemail/recording", GetRecording)
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
    /// <param name="limit">Page size, 1-200 (default 50).</param>
    /// <param name="cursor">nextCursor from the previous page.</param>
    public static async Task<Results<Ok<CallPage>, ValidationProblem>> ListCalls(
        HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken,
        string? status = null, string? direction = null, string? phoneNumberId = null, string? from = null, string? to = null,
        string? since = null, string? until = null, string? hasVoicemail = null, string? limit = null, string? cursor = null)
    {
        var query = CallListQuery.Parse(context.Request.Query, out var errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid call filters.");
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        return TypedResults.Ok(await CallLogReader.ListAsync(scope, query, cancellationToken));
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

        string? key;
        await using (var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken))
        {
            key = await CallLogReader.RecordingKeyAsync(scope, callId, cancellationToken);
        }
        var storage = context.RequestServices.GetService<IRecordingStorage>();
        var recording = key is null || storage is null ? null : await storage.OpenReadAsync(key, cancellationToken);
        if (recording is null)
        {
            return TypedResults.Problem(statusCode: 404, title: "No recording", detail: "This call has no downloaded voicemail recording (yet).");
        }
        context.Response.Headers.CacheControl = "private, max-age=300";
        return TypedResults.Stream(recording.Content, recording.ContentType, enableRangeProcessing: recording.Content.CanSeek);
    }

    private static string PlaybackUrl(Guid callId) => $"/api/aloha/calls/{callId}/voicemail/recording";

    private static ValidationProblem InvalidId() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["Must be a call id (UUID)."] }, title: "Invalid call id.");

    private static ProblemHttpResult CallNotFound() => TypedResults.Problem(statusCode: 404, title: "Call not found");
}
