using System.Net;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using SdkHttpClient = Twilio.Http.HttpClient;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// The SDK's <see cref="TwilioRestClient"/> on our <c>IHttpClientFactory</c> client
/// (<see cref="HttpClientName"/>: the Twilio resilience pipeline, telemetry, test redirection), so
/// every resource reads as in Twilio's docs: <c>await IncomingPhoneNumberResource.CreateAsync(options, client: twilio)</c>.
/// What it adds to the SDK's client, because the SDK lacks it:
/// <list type="bullet">
/// <item>credentials read per request from <see cref="TwilioOptions"/> (an API key when configured,
/// else the Auth Token), so a rotated secret applies at once and a missing one says what to set;</item>
/// <item>failures as our pipeline raised them (timeout, dropped connection, open circuit) instead of
/// the SDK's catch-all <see cref="ApiConnectionException"/>, so a lost answer can be told from a refusal;</item>
/// <item>Twilio's refusals as <see cref="TwilioApiException"/> with the Retry-After the SDK drops.</item>
/// </list>
/// Registered transient: one per use, like a typed HttpClient. Not for concurrent calls on one
/// instance (Retry-After is read from the SDK's last response).
/// </summary>
public sealed class TwilioClient(IHttpClientFactory httpClients, IOptionsMonitor<TwilioOptions> options, TimeProvider time) : ITwilioRestClient
{
    public const string HttpClientName = "twilio";

    private readonly SystemNetHttpClient _http = new(httpClients.CreateClient(HttpClientName));

    public string AccountSid => options.CurrentValue.AccountSid ?? "";

    public string? Region => null;

    public SdkHttpClient HttpClient => _http;

    /// <summary>
    /// The SDK's synchronous paths (its resource methods without Async, ResourceSet's auto-paging)
    /// are refused rather than served by blocking a thread on I/O: with socket completions inline
    /// (the WebhookApi's default, #15) a blocked socket event thread can be the one the response
    /// needs, and the call would never return. Ours read one page at a time (<see cref="TwilioPages"/>,
    /// <see cref="ResourceSetExtensions.FirstPageOnly{T}"/>).
    /// </summary>
    public Response Request(Request request) =>
        throw new NotSupportedException($"Twilio's synchronous API is not used here ({request?.Method} {request?.Uri?.AbsolutePath}): call the resource's Async method, and page with TwilioPages.");

    public async Task<Response> RequestAsync(Request request)
    {
        var client = CreateSdkClient();
        try
        {
            return await client.RequestAsync(request);
        }
        catch (ApiConnectionException ex) when (ex.InnerException is { } cause)
        {
            ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        catch (ApiException ex)
        {
            throw Refusal(ex.Status, ex.Code, ex.Message, ex.MoreInfo, ex);
        }
        catch (ApiStandardException ex)
        {
            throw Refusal(ex.Status, ex.Code, ex.Detail ?? ex.Title ?? ex.Message, moreInfo: null, ex);
        }
    }

    private TwilioApiException Refusal(int status, int code, string? message, string? moreInfo, Exception sdkException)
    {
        var response = _http.LastResponse;
        // The SDK reads a body that is not Twilio's JSON (a proxy, Prism's validation answer) as
        // code 0 and a generic message: describe it from the body itself.
        var body = TwilioErrorBody.Parse(response?.Content);
        var twilioCode = code != 0 ? code : body.Code;
        return new TwilioApiException(
            response?.StatusCode ?? (HttpStatusCode)status,
            twilioCode,
            (code != 0 ? message : body.Message) ?? message ?? $"Twilio answered {status}.",
            moreInfo ?? body.MoreInfo,
            TwilioRequestSafety.RetryAfter(response?.Headers, time),
            sdkException);
    }

    /// <summary>
    /// An API key (SK…) with its secret when configured, which Twilio recommends for REST and lets
    /// you revoke without touching the Auth Token; otherwise the Account SID and Auth Token.
    /// </summary>
    private TwilioRestClient CreateSdkClient()
    {
        var current = options.CurrentValue;
        var (user, password) = !string.IsNullOrWhiteSpace(current.ApiKey) && !string.IsNullOrWhiteSpace(current.ApiSecret)
            ? (current.ApiKey, current.ApiSecret)
            : (current.AccountSid, current.AuthToken);
        if (string.IsNullOrWhiteSpace(current.AccountSid) || string.IsNullOrWhiteSpace(user) || string.IsNullOrWhiteSpace(password))
        {
            throw new TwilioNotConfiguredException(
                "Twilio's REST API needs Twilio:AccountSid (TWILIO_ACCOUNT_SID) and either Twilio:AuthToken (TWILIO_AUTH_TOKEN) " +
                "or Twilio:ApiKey with Twilio:ApiSecret (TWILIO_API_KEY, TWILIO_API_SECRET).");
        }
        return new TwilioRestClient(user, password, current.AccountSid, httpClient: _http);
    }
}
