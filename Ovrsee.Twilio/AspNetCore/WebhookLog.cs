using Microsoft.Extensions.Logging;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>
/// Rejection logs for the signature filter. They carry paths, SIDs and masked numbers only:
/// never tokens, signatures, or raw parameter values.
/// </summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Rejected Twilio webhook {Path}: unsupported content type '{ContentType}' (415)")]
    public static partial void UnsupportedContentType(ILogger logger, string? path, string? contentType);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Rejected Twilio webhook {Path}: JSON body without bodySHA256 in the URL (415)")]
    public static partial void JsonWithoutBodyHash(ILogger logger, string? path);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Rejected Twilio webhook {Path}: body larger than {MaxBodyBytes} bytes (413)")]
    public static partial void BodyTooLarge(ILogger logger, string? path, int maxBodyBytes);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Rejected Twilio webhook {Path}: no X-Twilio-Signature header (403)")]
    public static partial void MissingSignature(ILogger logger, string? path);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning,
        Message = "Rejected Twilio webhook {Path}: malformed form body (400)")]
    public static partial void MalformedForm(ILogger logger, string? path);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning,
        Message = "Rejected Twilio webhook {Path}: signature does not match {SignedUrl} with any of {TokenCount} token(s) (403); CallSid={CallSid} From={From}")]
    public static partial void InvalidSignature(ILogger logger, string? path, string signedUrl, int tokenCount, string? callSid, string from);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error,
        Message = "Cannot validate Twilio webhook {Path}: no Auth Token configured (Twilio:AuthToken or TWILIO_AUTH_TOKEN) (500)")]
    public static partial void NoAuthToken(ILogger logger, string? path);
}
