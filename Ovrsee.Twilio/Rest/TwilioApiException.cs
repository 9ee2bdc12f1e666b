using System.Net;
using Twilio.Exceptions;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// Twilio answered with an error. The SDK's <see cref="ApiException"/> (the inner exception) carries
/// Twilio's code, status and more_info but not the response headers, so this adds Twilio's
/// Retry-After, and a readable message when the body was not Twilio's JSON (a proxy, or Prism's
/// validation answer). Twilio's message never contains our credentials: safe to log and pass on.
/// </summary>
public sealed class TwilioApiException(
    HttpStatusCode statusCode, int? code, string message, string? moreInfo = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>Twilio's "not available" error for a number someone else bought first.</summary>
    public const int PhoneNumberNotAvailable = 21422;

    /// <summary>Twilio's "resource not found".</summary>
    public const int NotFound = 20404;

    /// <summary>Twilio's "too many requests" (HTTP 429).</summary>
    public const int TooManyRequests = 20429;

    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>Twilio's error code (https://www.twilio.com/docs/api/errors), when the body had one.</summary>
    public int? Code { get; } = code;

    public string? MoreInfo { get; } = moreInfo;

    /// <summary>Twilio's Retry-After, when it sent one (429s).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Twilio decided: the request was understood and refused, so sending it again gives the same answer.</summary>
    public bool IsDefinitive => (int)StatusCode is >= 400 and < 500 && !IsRateLimited;

    public bool IsRateLimited => StatusCode == HttpStatusCode.TooManyRequests || Code == TooManyRequests;
}

/// <summary>The REST API cannot be used: Twilio:AccountSid and a credential pair are not configured.</summary>
public sealed class TwilioNotConfiguredException(string message) : InvalidOperationException(message);

/// <summary>
/// A purchase whose outcome Twilio never confirmed (timeouts, 5xx, dropped connections), and the
/// number was not on the account when we last looked. It may still appear there: callers keep
/// the purchase open and reconcile later rather than assuming it failed.
/// </summary>
public sealed class TwilioPurchaseUnconfirmedException(string phoneNumber, int createAttempts, Exception lastFailure)
    : Exception($"Twilio did not confirm the purchase of {PhoneNumberMask.Mask(phoneNumber)} after {createAttempts} attempt(s), " +
                "and the number is not on the account.", lastFailure)
{
    public int CreateAttempts { get; } = createAttempts;
}
