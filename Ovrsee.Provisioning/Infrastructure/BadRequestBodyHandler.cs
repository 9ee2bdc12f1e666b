using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Ovrsee.Provisioning.Infrastructure;

/// <summary>
/// Kestrel's refusals of a request body (over the size limit, sent too slowly, cut off) surface as
/// <see cref="BadHttpRequestException"/> while a handler reads it. They are the client's doing, so
/// they answer with Kestrel's status (413, 408, 400) as Problem Details, never a 500.
/// </summary>
public sealed partial class BadRequestBodyHandler(IProblemDetailsService problems, ILogger<BadRequestBodyHandler> logger) : IExceptionHandler
{
    /// <summary>Our JSON bodies are a few hundred bytes; anything near this is a mistake or abuse.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        var (title, detail) = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => ("Request body too large", $"The body is larger than this endpoint accepts ({MaxBodyBytes / 1024} KB)."),
            StatusCodes.Status408RequestTimeout => ("Request body too slow", "The body did not arrive in time."),
            _ => ("Bad request body", bad.Message),
        };
        LogRefused(logger, context.Request.Method, context.Request.Path, bad.StatusCode, bad.Message);
        context.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = bad.StatusCode, Title = title, Detail = detail },
            Exception = exception,
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused the body of {Method} {Path}: {Status} ({Reason})")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int status, string reason);
}
