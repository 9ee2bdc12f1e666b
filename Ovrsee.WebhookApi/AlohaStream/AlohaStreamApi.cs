using System.Diagnostics;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio;
using Ovrsee.PublicUrls;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// The Twilio Media Streams WebSocket that our incoming-call TwiML points at
/// (<c>&lt;Connect&gt;&lt;Stream url="wss://…/api/aloha/stream"&gt;</c>). The upgrade request is
/// checked before it is accepted: Twilio signs it with X-Twilio-Signature over the wss:// URL it
/// dialled and no parameters. Refused upgrades get 403 (signature), 400 (not a WebSocket
/// request) or 503 (at capacity) and write nothing; Twilio then runs the Connect action.
/// </summary>
public static partial class AlohaStreamApi
{
    public static RouteGroupBuilder MapAlohaStreamApi(this IEndpointRouteBuilder app)
    {
        // The routes are whole (WebhookRoutes): TwiML and the signature check name the same URL.
        var api = app.MapGroup("")
            .WithTags("Aloha stream")
            .ExcludeFromDescription();

        // Map, not MapGet: WebSockets over HTTP/2 arrive as CONNECT.
        api.Map(WebhookRoutes.Stream, Stream).AddEndpointFilter<LimitUnverifiedTrafficFilter>();
        if (app.ServiceProvider.GetRequiredService<IOptions<AlohaStreamOptions>>().Value.ExposeDiagnostics)
        {
            api.MapGet(WebhookRoutes.StreamDiagnostics, Diagnostics);
        }
        return api;
    }

    public static async Task<IResult> Stream(
        HttpContext context,
        AlohaStreamSessions sessions,
        AlohaStreamMetrics metrics,
        IOptionsMonitor<TwilioOptions> twilio,
        IOptionsMonitor<WebhookOptions> webhooks,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(AlohaStreamApi));
        var tokens = twilio.CurrentValue.GetWebhookAuthTokens();
        if (tokens.Count == 0)
        {
            // Start-up validation normally prevents this; fail loudly rather than reject everything as forged.
            return Results.StatusCode(StatusCodes.Status500InternalServerError);
        }

        var signedUrl = PublicUrlRules.WebSocketRequestUrl(context.Request, webhooks.CurrentValue.PublicBaseUrl);
        var signature = context.Request.Headers[TwilioSignature.HeaderName].ToString();
        if (!TwilioSignature.IsValidWebSocketHandshake(signedUrl, signature, tokens))
        {
            metrics.Refused("signature");
            LogRefusedSignature(logger, signature.Length == 0 ? "missing" : "invalid", StripQuery(signedUrl));
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Expected a WebSocket upgrade.");
        }
        if (!metrics.TryEnter())
        {
            metrics.Refused("capacity");
            LogAtCapacity(logger, metrics.Active);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            // Not RequestAborted: a dropped connection shows up in the receive loop as such; this
            // token only says "the server is stopping".
            await sessions.RunAsync(socket, PublicUrlRules.BaseUrl(context.Request, webhooks.CurrentValue.PublicBaseUrl), lifetime.ApplicationStopping);
        }
        finally
        {
            metrics.Exit();
        }
        return Results.Empty;
    }

    /// <summary>For load tests and operators: stream counters and this process's memory.</summary>
    public static IResult Diagnostics(AlohaStreamMetrics metrics, StreamTimeline timeline, bool collect = false)
    {
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        using var process = Process.GetCurrentProcess();
        return Results.Ok(new
        {
            streams = metrics.Snapshot(),
            timelineEventsDropped = timeline.Dropped,
            gcHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            workingSetBytes = process.WorkingSet64,
        });
    }

    private static string StripQuery(string url) => url.Split('?', 2)[0];

    [LoggerMessage(LogLevel.Warning, "Media stream upgrade refused: signature {Problem} for {Url}")]
    private static partial void LogRefusedSignature(ILogger logger, string problem, string url);

    [LoggerMessage(LogLevel.Warning, "Media stream upgrade refused: {Active} streams already running")]
    private static partial void LogAtCapacity(ILogger logger, long active);
}
