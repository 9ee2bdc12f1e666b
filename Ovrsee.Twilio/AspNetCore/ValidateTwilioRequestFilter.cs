using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Ovrsee.PublicUrls;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>
/// Endpoint filter that lets only correctly signed Twilio webhooks through, in the spirit of
/// Twilio.AspNet.Core's <c>ValidateTwilioRequestFilter</c>. Rejections, in the order checked:
/// 415 (not form-encoded, or JSON without <c>bodySHA256</c>), 413 (declared or actual body over
/// <see cref="TwilioRequestValidationOptions.MaxBodyBytes"/>), 403 (no signature header), 400 (malformed form),
/// 403 (signature invalid; both 403s with a short Problem Details body). Nothing is written on rejection and the handler does not run.
/// On success the handler finds a <see cref="TwilioRequest"/> via <c>context.GetTwilioRequest()</c>.
/// </summary>
/// <remarks>
/// Endpoint filters run after parameter binding, so handlers must not bind the body themselves
/// (no <c>[FromForm]</c>/<c>IFormCollection</c>); the request body is replaced with the buffered
/// copy so it can still be re-read.
/// </remarks>
public sealed class ValidateTwilioRequestFilter(
    IOptionsMonitor<TwilioOptions> twilioOptions,
    IOptionsMonitor<TwilioRequestValidationOptions> validationOptions,
    ILogger<ValidateTwilioRequestFilter> logger) : IEndpointFilter
{
    private const string FormMediaType = "application/x-www-form-urlencoded";
    private const string JsonMediaType = "application/json";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var httpContext = context.HttpContext;
        var request = httpContext.Request;
        var path = request.Path.Value;
        var webhook = validationOptions.CurrentValue;

        var isJson = IsMediaType(request.ContentType, JsonMediaType);
        if (!isJson && !IsMediaType(request.ContentType, FormMediaType))
        {
            WebhookLog.UnsupportedContentType(logger, path, request.ContentType);
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }

        var signedUrl = PublicUrlRules.RequestUrl(request, webhook.BaseUrlOverride);
        if (isJson && !TwilioSignature.HasBodyHash(signedUrl))
        {
            WebhookLog.JsonWithoutBodyHash(logger, path);
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }

        if (request.ContentLength > webhook.MaxBodyBytes)
        {
            WebhookLog.BodyTooLarge(logger, path, webhook.MaxBodyBytes);
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var signature = request.Headers[TwilioSignature.HeaderName];
        if (string.IsNullOrEmpty(signature))
        {
            WebhookLog.MissingSignature(logger, path);
            return Forbidden($"No {TwilioSignature.HeaderName} header: only Twilio's signed requests are accepted here.");
        }

        var authTokens = twilioOptions.CurrentValue.GetWebhookAuthTokens();
        if (authTokens.Count == 0)
        {
            // Start-up validation normally prevents this; fail loudly rather than reject everything as forged.
            WebhookLog.NoAuthToken(logger, path);
            return Results.StatusCode(StatusCodes.Status500InternalServerError);
        }

        var body = await ReadBodyAsync(request.Body, webhook.MaxBodyBytes, httpContext.RequestAborted);
        if (body is null)
        {
            WebhookLog.BodyTooLarge(logger, path, webhook.MaxBodyBytes);
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        List<KeyValuePair<string, string>> parameters = [];
        if (!isJson && !FormUrlEncodedBody.TryParse(body, out parameters))
        {
            WebhookLog.MalformedForm(logger, path);
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        var valid = isJson
            ? TwilioSignature.IsValidJson(signedUrl, body, signature, authTokens)
            : TwilioSignature.IsValid(signedUrl, parameters, signature, authTokens);
        if (!valid)
        {
            LogInvalidSignature(path, signedUrl, authTokens.Count, parameters);
            // The URL we checked against is the usual culprit behind a proxy, and no secret.
            return Forbidden($"{TwilioSignature.HeaderName} does not match this request signed for {signedUrl} with our Auth Token. " +
                             "Behind a proxy or tunnel, Webhooks:PublicBaseUrl must be the URL Twilio calls.");
        }

        request.Body = new MemoryStream(body, writable: false);
        httpContext.Features.Set(new TwilioRequest(
            signedUrl,
            parameters,
            body,
            isJson,
            request.Headers[TwilioRequest.IdempotencyTokenHeader].FirstOrDefault()));

        return await next(context);
    }

    /// <summary>A short Problem Details body: costs nothing and tells whoever debugs a proxy which check failed.</summary>
    private static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Twilio signature rejected", detail: detail);

    private static bool IsMediaType(string? contentType, string expected) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(expected, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> + 1 bytes, whatever Content-Length claimed
    /// (chunked bodies have none). Null means the body is too large.
    /// </summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        var total = 0;
        try
        {
            while (total <= maxBytes)
            {
                var read = await body.ReadAsync(buffer.AsMemory(total, maxBytes + 1 - total), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total > maxBytes ? null : buffer.AsSpan(0, total).ToArray();
        }
        finally
        {
            buffer.AsSpan(0, total).Clear(); // it held caller data; only the used part needs wiping
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void LogInvalidSignature(string? path, string signedUrl, int tokenCount, List<KeyValuePair<string, string>> parameters)
    {
        if (!logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        // The query may carry caller data; the origin and path are what a mismatch is usually about.
        var query = signedUrl.IndexOf('?');
        var urlWithoutQuery = query < 0 ? signedUrl : signedUrl[..query];
        string? callSid = null;
        string? from = null;
        foreach (var (name, value) in parameters)
        {
            callSid ??= name == "CallSid" ? value : null;
            from ??= name == "From" ? value : null;
        }

        WebhookLog.InvalidSignature(logger, path, urlWithoutQuery, tokenCount, callSid, PhoneNumberMask.Mask(from));
    }
}
