using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// The 2010-04-01 REST calls Provisioning needs, as a typed HttpClient: form-encoded bodies,
/// Basic auth, Twilio's error JSON as <see cref="TwilioApiException"/>. Resilience lives in the
/// pipeline (<see cref="TwilioResiliencePipeline"/>) except for buying, which is reconciled here.
/// </summary>
public sealed partial class TwilioRestClient(
    HttpClient http,
    IOptionsMonitor<TwilioOptions> twilioOptions,
    IOptionsMonitor<TwilioResilienceOptions> resilienceOptions,
    TimeProvider time,
    ILogger<TwilioRestClient> logger)
{
    public const string ApiVersion = "2010-04-01";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task<IReadOnlyList<AvailablePhoneNumber>> SearchAvailablePhoneNumbersAsync(
        AvailablePhoneNumberSearch search, CancellationToken cancellationToken)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (search.AreaCode is { } areaCode)
        {
            query.Add(new("AreaCode", areaCode.ToString(CultureInfo.InvariantCulture)));
        }
        if (!string.IsNullOrEmpty(search.Contains))
        {
            query.Add(new("Contains", search.Contains));
        }
        // Aloha answers calls: a number that cannot take them is no use.
        query.Add(new("VoiceEnabled", "true"));
        query.Add(new("PageSize", search.PageSize.ToString(CultureInfo.InvariantCulture)));

        var resource = search.Type == AvailablePhoneNumberType.TollFree ? "TollFree" : "Local";
        using var request = new HttpRequestMessage(HttpMethod.Get,
            AccountUri($"AvailablePhoneNumbers/{Uri.EscapeDataString(search.CountryCode)}/{resource}.json", query));
        var page = await SendAsync<AvailablePhoneNumberPage>(request, cancellationToken);
        return page.AvailablePhoneNumbers ?? [];
    }

    /// <summary>
    /// One purchase request, sent once and never retried on an ambiguous failure: a lost answer
    /// may hide a number Twilio did buy. Use <see cref="PurchaseIncomingPhoneNumberAsync"/>.
    /// </summary>
    public async Task<IncomingPhoneNumber> CreateIncomingPhoneNumberAsync(
        string phoneNumber, IncomingPhoneNumberSettings settings, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AccountUri("IncomingPhoneNumbers.json"))
        {
            Content = new FormUrlEncodedContent([new("PhoneNumber", phoneNumber), .. settings.ToForm()]),
        };
        return await SendAsync<IncomingPhoneNumber>(request, cancellationToken);
    }

    /// <summary>
    /// Buys <paramref name="phoneNumber"/> so that it is bought at most once. After an ambiguous
    /// failure (timeout, 5xx, dropped connection) the number is looked up on the account before
    /// another attempt; if it is there, that attempt did buy it and it is returned.
    /// </summary>
    /// <param name="checkAccountFirst">An earlier attempt may have bought it (recovering a purchase after a crash): look before buying.</param>
    /// <exception cref="TwilioApiException">Twilio refused before anything could have been bought (not available, invalid, rate limited…).</exception>
    /// <exception cref="TwilioPurchaseUnconfirmedException">
    /// A create was sent whose outcome is unknown and the number is not on the account (yet). Every
    /// failure after a lost answer ends here, whatever it is, because the number may still be ours.
    /// </exception>
    public async Task<PurchasedPhoneNumber> PurchaseIncomingPhoneNumberAsync(
        string phoneNumber, IncomingPhoneNumberSettings settings, bool checkAccountFirst, CancellationToken cancellationToken)
    {
        var options = resilienceOptions.CurrentValue;
        Exception? ambiguous = null;
        var createsSent = 0;
        try
        {
            for (var attempt = 1; attempt <= options.PurchaseAttempts; attempt++)
            {
                if (attempt > 1)
                {
                    await Task.Delay(Backoff(options.PurchaseRetryDelay, attempt - 1), time, cancellationToken);
                }
                if ((attempt > 1 || checkAccountFirst) && await FindIncomingPhoneNumberAsync(phoneNumber, cancellationToken) is { } owned)
                {
                    LogFoundOnAccount(logger, PhoneNumberMask.Mask(phoneNumber), owned.Sid, createsSent);
                    return new PurchasedPhoneNumber(owned, FoundOnAccount: true, createsSent);
                }

                try
                {
                    createsSent++;
                    var created = await CreateIncomingPhoneNumberAsync(phoneNumber, settings, cancellationToken);
                    return new PurchasedPhoneNumber(created, FoundOnAccount: false, createsSent);
                }
                catch (Exception ex) when (IsAmbiguous(ex, cancellationToken))
                {
                    ambiguous = ex;
                    LogAmbiguousPurchase(logger, PhoneNumberMask.Mask(phoneNumber), attempt, options.PurchaseAttempts, ex.GetType().Name, ex.Message);
                }
            }

            // The last attempt's answer was lost too; its purchase may have gone through.
            if (await FindIncomingPhoneNumberAsync(phoneNumber, cancellationToken) is { } late)
            {
                LogFoundOnAccount(logger, PhoneNumberMask.Mask(phoneNumber), late.Sid, createsSent);
                return new PurchasedPhoneNumber(late, FoundOnAccount: true, createsSent);
            }
            throw new TwilioPurchaseUnconfirmedException(phoneNumber, createsSent, ambiguous!);
        }
        catch (Exception ex) when (ambiguous is not null && ex is not TwilioPurchaseUnconfirmedException && !cancellationToken.IsCancellationRequested)
        {
            // After a lost answer nothing else is conclusive: "not available" may even mean "you
            // bought it", and a failed lookup proves nothing. Look once more, else stay open.
            try
            {
                if (await FindIncomingPhoneNumberAsync(phoneNumber, cancellationToken) is { } ours)
                {
                    LogFoundOnAccount(logger, PhoneNumberMask.Mask(phoneNumber), ours.Sid, createsSent);
                    return new PurchasedPhoneNumber(ours, FoundOnAccount: true, createsSent);
                }
            }
            catch (Exception lookup) when (!cancellationToken.IsCancellationRequested && lookup is not OutOfMemoryException)
            {
                LogLookupFailed(logger, PhoneNumberMask.Mask(phoneNumber), lookup.GetType().Name, lookup.Message);
            }
            throw new TwilioPurchaseUnconfirmedException(phoneNumber, createsSent, ex);
        }
    }

    /// <summary>Points an existing number somewhere else. Idempotent, so the pipeline retries it.</summary>
    public async Task<IncomingPhoneNumber> UpdateIncomingPhoneNumberAsync(
        string sid, IncomingPhoneNumberSettings settings, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AccountUri($"IncomingPhoneNumbers/{Uri.EscapeDataString(sid)}.json"))
        {
            Content = new FormUrlEncodedContent(settings.ToForm()),
        };
        return await SendAsync<IncomingPhoneNumber>(request, cancellationToken);
    }

    /// <summary>The account's numbers matching <paramref name="phoneNumber"/> (Twilio also matches partial numbers and * wildcards).</summary>
    public async Task<IReadOnlyList<IncomingPhoneNumber>> ListIncomingPhoneNumbersAsync(string phoneNumber, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            AccountUri("IncomingPhoneNumbers.json", [new("PhoneNumber", phoneNumber), new("PageSize", "20")]));
        var page = await SendAsync<IncomingPhoneNumberPage>(request, cancellationToken);
        return page.IncomingPhoneNumbers ?? [];
    }

    /// <summary>The account's number that is exactly <paramref name="phoneNumber"/> (E.164), or null.</summary>
    public async Task<IncomingPhoneNumber?> FindIncomingPhoneNumberAsync(string phoneNumber, CancellationToken cancellationToken)
    {
        var numbers = await ListIncomingPhoneNumbersAsync(phoneNumber, cancellationToken);
        return numbers.FirstOrDefault(n => string.Equals(n.PhoneNumber, phoneNumber, StringComparison.Ordinal));
    }

    /// <summary>Releases a number. A second release gets Twilio's 404 (code 20404), which callers may treat as done.</summary>
    public async Task DeleteIncomingPhoneNumberAsync(string sid, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, AccountUri($"IncomingPhoneNumbers/{Uri.EscapeDataString(sid)}.json"));
        using var response = await SendCheckedAsync(request, cancellationToken);
    }

    /// <summary>
    /// Deletes a call recording (Twilio's copy of the audio and its metadata). Idempotent, so the
    /// pipeline retries it; a recording already gone (404) counts as deleted.
    /// </summary>
    public async Task DeleteRecordingAsync(string recordingSid, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, AccountUri($"Recordings/{Uri.EscapeDataString(recordingSid)}.json"));
        try
        {
            using var response = await SendCheckedAsync(request, cancellationToken);
        }
        catch (TwilioApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await SendCheckedAsync(request, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                ?? throw new JsonException("The body was JSON null.");
        }
        catch (JsonException ex)
        {
            // A success we cannot read is not a refusal: callers treat it like a lost answer.
            throw new TwilioApiException(response.StatusCode, null,
                $"Twilio answered {(int)response.StatusCode} to {request.Method} {request.RequestUri?.AbsolutePath} with a body we could not read: {ex.Message}");
        }
    }

    private async Task<HttpResponseMessage> SendCheckedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = Credentials();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await TwilioErrorBody.ReadAsync(response, cancellationToken);
            throw new TwilioApiException(
                response.StatusCode,
                error.Code,
                error.Message ?? $"Twilio answered {(int)response.StatusCode} {response.ReasonPhrase} to {request.Method} {request.RequestUri?.AbsolutePath}.",
                error.MoreInfo,
                TwilioRequestSafety.RetryAfter(response, time));
        }
    }

    /// <summary>
    /// An API key (SK…) with its secret when configured, which Twilio recommends for REST and lets
    /// you revoke without touching the Auth Token; otherwise the Account SID and Auth Token.
    /// Read per request so a rotated secret applies at once.
    /// </summary>
    private AuthenticationHeaderValue Credentials()
    {
        var options = twilioOptions.CurrentValue;
        var (user, password) = !string.IsNullOrWhiteSpace(options.ApiKey) && !string.IsNullOrWhiteSpace(options.ApiSecret)
            ? (options.ApiKey, options.ApiSecret)
            : (options.AccountSid, options.AuthToken);
        if (string.IsNullOrWhiteSpace(options.AccountSid) || string.IsNullOrWhiteSpace(user) || string.IsNullOrWhiteSpace(password))
        {
            throw new TwilioNotConfiguredException(
                "Twilio's REST API needs Twilio:AccountSid (TWILIO_ACCOUNT_SID) and either Twilio:AuthToken (TWILIO_AUTH_TOKEN) " +
                "or Twilio:ApiKey with Twilio:ApiSecret (TWILIO_API_KEY, TWILIO_API_SECRET).");
        }
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    private Uri AccountUri(string relative, IEnumerable<KeyValuePair<string, string>>? query = null)
    {
        var options = twilioOptions.CurrentValue;
        var builder = new StringBuilder(options.BaseUrl.TrimEnd('/'))
            .Append('/').Append(ApiVersion)
            .Append("/Accounts/").Append(Uri.EscapeDataString(options.AccountSid ?? ""))
            .Append('/').Append(relative);
        var separator = '?';
        foreach (var (name, value) in query ?? [])
        {
            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        return new Uri(builder.ToString(), UriKind.Absolute);
    }

    /// <summary>A lost answer: Twilio may or may not have acted.</summary>
    private static bool IsAmbiguous(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        TwilioApiException api => !api.IsDefinitive && !api.IsRateLimited,
        // Refused by our own circuit breaker: the request never left.
        BrokenCircuitException => false,
        TimeoutRejectedException or HttpRequestException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private static TimeSpan Backoff(TimeSpan baseDelay, int retry)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, retry - 1);
        // ±25 % jitter: replicas recovering from the same outage do not retry in step.
        return TimeSpan.FromMilliseconds(exponential * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purchase of {PhoneNumber}: attempt {Attempt}/{Attempts} lost its answer ({Failure}: {Detail}); checking the account before trying again")]
    private static partial void LogAmbiguousPurchase(ILogger logger, string phoneNumber, int attempt, int attempts, string failure, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purchase of {PhoneNumber}: could not look it up on the account ({Failure}: {Detail}); it stays unconfirmed")]
    private static partial void LogLookupFailed(ILogger logger, string phoneNumber, string failure, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purchase of {PhoneNumber}: already on the account as {Sid} after {CreateAttempts} create attempt(s); not buying again")]
    private static partial void LogFoundOnAccount(ILogger logger, string phoneNumber, string sid, int createAttempts);
}
