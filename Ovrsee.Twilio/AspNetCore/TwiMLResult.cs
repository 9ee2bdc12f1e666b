using Microsoft.AspNetCore.Http;
using Ovrsee.Twilio.TwiML;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>Writes a <see cref="VoiceResponse"/> as the HTTP response, the way Twilio expects TwiML.</summary>
public sealed class TwiMLResult(VoiceResponse twiml) : IResult, IContentTypeHttpResult, IStatusCodeHttpResult
{
    public const string MediaType = "text/xml; charset=utf-8";

    public VoiceResponse TwiML { get; } = twiml ?? throw new ArgumentNullException(nameof(twiml));

    public string ContentType => MediaType;

    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        var body = TwiML.ToUtf8Bytes();
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}
