using System.Net;
using System.Text.RegularExpressions;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// Which Twilio requests may be sent twice. In the 2010-04-01 API a POST to a list resource
/// (…/IncomingPhoneNumbers.json) creates, and buys, something; a POST to an instance
/// (…/IncomingPhoneNumbers/PN….json) updates it, which is idempotent, as are GET and DELETE.
/// Anything not recognised is treated as unsafe.
/// </summary>
public static partial class TwilioRequestSafety
{
    public static bool IsIdempotent(HttpRequestMessage? request)
    {
        if (request?.RequestUri is not { } uri)
        {
            return false;
        }
        if (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Delete)
        {
            return true;
        }
        return request.Method == HttpMethod.Post && InstanceSegment().IsMatch(uri.AbsolutePath);
    }

    /// <summary>
    /// Retry-After as a delay: seconds or an HTTP date (RFC 9110 §10.2.3). A date already past
    /// means "now".
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider? time = null) =>
        RetryAfter(response?.Headers, time);

    /// <inheritdoc cref="RetryAfter(HttpResponseMessage?, TimeProvider?)"/>
    public static TimeSpan? RetryAfter(System.Net.Http.Headers.HttpResponseHeaders? headers, TimeProvider? time = null)
    {
        var header = headers?.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - (time ?? TimeProvider.System).GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>
    /// Rate limited by Twilio: HTTP 429, or Twilio's error code 20429 in an error body whatever the
    /// status. The body is buffered so the client can still read it afterwards.
    /// </summary>
    public static async ValueTask<bool> IsRateLimitedAsync(HttpResponseMessage? response)
    {
        if (response is null)
        {
            return false;
        }
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return true;
        }
        if ((int)response.StatusCode < 400)
        {
            return false;
        }
        var error = await TwilioErrorBody.ReadAsync(response, CancellationToken.None);
        return error.Code == TwilioApiException.TooManyRequests;
    }

    /// <summary>A failure that says nothing about whether Twilio acted: worth another try if the request is safe.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    // ".../{Sid}.json" where Sid is two capitals and 32 hex digits (PN…, AC…).
    [GeneratedRegex(@"/[A-Z]{2}[0-9a-fA-F]{32}\.json$")]
    private static partial Regex InstanceSegment();
}
