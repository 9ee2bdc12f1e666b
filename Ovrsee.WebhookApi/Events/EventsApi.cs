using System.Buffers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using Ovrsee.Auth;
using Ovrsee.WebhookApi.Events;

namespace Ovrsee.WebhookApi.Events;

/// <summary>
/// The live call feed for the front end: a workspace's domain events as Server-Sent Events, resumable
/// from the outbox with Last-Event-ID. Authenticated and confined to one workspace like the calls API.
/// </summary>
public static partial class EventsApi
{
    public const string LastEventIdHeader = "Last-Event-ID";

    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/aloha/events")
            .RequireWorkspace()
            .WithTags("Events");

        api.MapGet("/", StreamEvents)
            .WithName("StreamEvents")
            .WithSummary("The workspace's call and voicemail events, live, as Server-Sent Events; resumable with Last-Event-ID.")
            .WithDescription("""
                A `text/event-stream` that stays open. On connect: `retry: 3000`. Each event is a frame
                `id: <cursor>` / `event: <type>` / `data: <envelope JSON>`; a `: keep-alive` comment every 15 s.
                The envelope: `{"id": uuid (stable, the webhook-id), "type", "timestamp": UTC ISO-8601,
                "workspaceId", "callId": uuid|null, "sequence": int|null (increases along one call's events), "data": {...}}`.
                `data` by type — call.ringing: `{callSid, from, to, direction, phoneNumberId}`; call.answered:
                `{callSid, answeredAt}`; call.routed: `{callSid, route}`; call.completed: `{callSid, status,
                durationSeconds, endedAt}`; voicemail.recorded: `{voicemailId, callSid, recordingSid, durationSeconds}`;
                voicemail.transcribed: `{voicemailId, callSid, status, transcript}`; voicemail.summarized:
                `{voicemailId, callSid, status, summary}`.
                Without Last-Event-ID only events from now on are sent; with it (header, or the `lastEventId`
                query parameter for clients that cannot set headers; the header wins) every event after that id
                is replayed from the outbox first, then the stream goes live, with no gap and no repeat.
                A client that reads too slowly is disconnected and resumes the same way.
                """)
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem()
            .WithEventFeedDocumentation();
        return api;
    }

    /// <summary>The parameters as they really are (bound as strings so that a mistake is a 400 naming it) and the resume header.</summary>
    private static TBuilder WithEventFeedDocumentation<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            if (operation.Parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == "types") is { } types)
            {
                types.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. DomainEvent.Types.Select(t => (JsonNode)JsonValue.Create(t))] },
                };
                types.Style = ParameterStyle.Form;
                types.Explode = false;
                types.Description = "Only these event types, comma-separated (e.g. call.completed,voicemail.summarized); default all.";
            }
            if (operation.Parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == "lastEventId") is { } lastEventId)
            {
                lastEventId.Description = "The Last-Event-ID header as a query parameter, for clients that cannot set headers; the header wins.";
                lastEventId.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+\\.[0-9]+$" };
            }
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = LastEventIdHeader,
                In = ParameterLocation.Header,
                Description = "The id: of the last event received (an EventSource sends it when it reconnects): the events after it are replayed first.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+\\.[0-9]+$" },
            });
            operation.Responses ??= [];
            // Produces(200, contentType) without a body type leaves the media type out of the document.
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "An open stream of frames: id: <cursor>, event: <type>, data: <event envelope JSON>; a : keep-alive comment every 15 s.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            };
            return Task.CompletedTask;
        });

    /// <param name="types">Comma-separated event types to receive, e.g. call.completed,voicemail.summarized (default: all).</param>
    /// <param name="lastEventId">The id of the last event received, for clients that cannot send the Last-Event-ID header (the header wins).</param>
    public static async Task<IResult> StreamEvents(
        HttpContext context, EventFeedHub hub, DomainEventLog log, IOptions<EventFeedOptions> options,
        ILoggerFactory loggers, CancellationToken cancellationToken, string? types = null, string? lastEventId = null)
    {
        var errors = new Dictionary<string, string[]>();
        var typeFilter = ParseTypes(types, errors);
        var resumeText = context.Request.Headers[LastEventIdHeader].ToString();
        var resumeSource = LastEventIdHeader;
        if (string.IsNullOrEmpty(resumeText))
        {
            (resumeText, resumeSource) = (lastEventId ?? "", "lastEventId");
        }
        EventCursor? resume = null;
        if (resumeText.Length > 0)
        {
            if (EventCursor.TryParse(resumeText.Trim(), out var parsed))
            {
                resume = parsed;
            }
            else
            {
                errors[resumeSource] = ["Must be the id of an event from this feed (digits.digits), as received in its id: line."];
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid event feed request.");
        }

        var workspaceId = context.GetWorkspace().WorkspaceId;
        var settings = options.Value;
        await hub.Started.WaitAsync(cancellationToken);
        // Subscribed before the catch-up read, so every event after the catch-up's last one arrives
        // live; live frames at or before that point were in the catch-up and are dropped.
        using var subscription = hub.Subscribe(workspaceId, typeFilter);
        var position = resume ?? await log.HeadAsync(cancellationToken);

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-store";
        // nginx and some ingresses buffer responses unless told not to.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var body = response.BodyWriter;
        try
        {
            await body.WriteAsync(EventFrame.Retry(settings.ReconnectDelay), cancellationToken);

            // Catch-up from the outbox, as this tenant (row-level security), until nothing is left.
            while (true)
            {
                var backlog = await log.ReadWorkspaceAsync(workspaceId, position, settings.ReadBatchSize, cancellationToken);
                foreach (var domainEvent in backlog)
                {
                    if (subscription.Wants(domainEvent.Type))
                    {
                        body.Write(EventFrame.For(domainEvent).Bytes.Span);
                    }
                    position = domainEvent.Cursor;
                }
                await body.FlushAsync(cancellationToken);
                if (backlog.Count < settings.ReadBatchSize)
                {
                    break;
                }
            }

            // Live. One await per connection; the heartbeat arrives through the same queue.
            var frames = subscription.Frames;
            while (await frames.WaitToReadAsync(cancellationToken))
            {
                while (frames.TryRead(out var frame))
                {
                    if (frame.IsHeartbeat)
                    {
                        body.Write(frame.Bytes.Span);
                    }
                    else if (frame.Cursor.IsAfter(position))
                    {
                        body.Write(frame.Bytes.Span);
                        position = frame.Cursor;
                    }
                }
                await body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (EventFeedOverflowException)
        {
            // Ending the response makes the browser reconnect with Last-Event-ID: it misses nothing.
            LogCutOff(loggers.CreateLogger(typeof(EventsApi)), workspaceId, position.ToString());
        }
        return Results.Empty;
    }

    private static HashSet<string>? ParseTypes(string? types, Dictionary<string, string[]> errors)
    {
        if (types is null)
        {
            return null;
        }
        var requested = types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = requested.Where(type => !DomainEvent.Types.Contains(type)).ToArray();
        if (unknown.Length > 0 || requested.Length == 0)
        {
            errors["types"] = [$"Unknown event type(s): {string.Join(", ", unknown.DefaultIfEmpty("(none given)"))}. Known: {string.Join(", ", DomainEvent.Types)}."];
            return null;
        }
        return [.. requested];
    }

    [LoggerMessage(LogLevel.Information, "Live feed of workspace {WorkspaceId} ended for a slow client at {Cursor}; it resumes from there.")]
    private static partial void LogCutOff(ILogger logger, Guid workspaceId, string cursor);
}
