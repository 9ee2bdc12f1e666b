using Microsoft.AspNetCore.Diagnostics;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.Infrastructure;

/// <summary>
/// The two failures that are not our bug and so must not be a 500 logged at Error:
/// a request Kestrel gave up on (a body arriving too slowly is 408, a malformed or oversized one
/// 400/413: the status Kestrel chose), and a webhook neither PostgreSQL nor the spool took in time
/// (503 with Retry-After; the recorder has logged it). Handled here, ASP.NET Core's exception
/// middleware emits no diagnostics of its own for them.
/// </summary>
public sealed partial class RequestFailureHandler(ILogger<RequestFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case BadHttpRequestException badRequest:
                LogBadRequest(logger, context.Request.Method, context.Request.Path.Value, badRequest.StatusCode, badRequest.Message);
                await WriteStatusAsync(context, badRequest.StatusCode);
                return true;
            case WebhookNotStoredException:
                context.Response.Headers.RetryAfter = "5";
                await WriteStatusAsync(context, StatusCodes.Status503ServiceUnavailable);
                return true;
            default:
                return false;
        }
    }

    private static async Task WriteStatusAsync(HttpContext context, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        if (statusCode == StatusCodes.Status408RequestTimeout)
        {
            // The rest of the body will never be read: do not keep the connection for another request.
            context.Response.Headers.Connection = "close";
        }
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} ended as {StatusCode}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string method, string? path, int statusCode, string reason);
}
