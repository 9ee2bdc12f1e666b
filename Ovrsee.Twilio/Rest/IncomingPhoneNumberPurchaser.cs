using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Twilio.Rest;

/// <param name="FoundOnAccount">
/// The number was found on the account after an ambiguous failure (or a crash) instead of being
/// confirmed by a create response: Twilio bought it on an attempt whose answer we lost.
/// </param>
/// <param name="CreateAttempts">Create requests sent for this purchase.</param>
public sealed record PurchasedPhoneNumber(IncomingPhoneNumberResource Number, bool FoundOnAccount, int CreateAttempts);

/// <summary>
/// Buys a number at most once, which the SDK cannot promise on its own: a create
/// (<see cref="IncomingPhoneNumberResource.CreateAsync(CreateIncomingPhoneNumberOptions, ITwilioRestClient)"/>)
/// whose answer is lost may have bought the number. After such a failure (timeout, 5xx, dropped
/// connection) the number is looked up on the account before another attempt; if it is there,
/// that attempt did buy it and it is returned. The resilience pipeline never resends a create
/// (<see cref="TwilioRequestSafety"/>); only this class does, and only after looking.
/// </summary>
public sealed partial class IncomingPhoneNumberPurchaser(
    ITwilioRestClient twilio,
    IOptionsMonitor<TwilioResilienceOptions> resilienceOptions,
    TimeProvider time,
    ILogger<IncomingPhoneNumberPurchaser> logger)
{
    /// <param name="create">The create request: the number and where its calls go.</param>
    /// <param name="checkAccountFirst">An earlier attempt may have bought it (recovering a purchase after a crash): look before buying.</param>
    /// <exception cref="TwilioApiException">Twilio refused before anything could have been bought (not available, invalid, rate limited…).</exception>
    /// <exception cref="TwilioPurchaseUnconfirmedException">
    /// A create was sent whose outcome is unknown and the number is not on the account (yet). Every
    /// failure after a lost answer ends here, whatever it is, because the number may still be ours.
    /// </exception>
    public async Task<PurchasedPhoneNumber> PurchaseAsync(
        CreateIncomingPhoneNumberOptions create, bool checkAccountFirst, CancellationToken cancellationToken)
    {
        var phoneNumber = create.PhoneNumber?.ToString() ?? throw new ArgumentException("The create request names no PhoneNumber.", nameof(create));
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
                if ((attempt > 1 || checkAccountFirst) && await twilio.FindIncomingPhoneNumberAsync(phoneNumber, cancellationToken) is { } owned)
                {
                    LogFoundOnAccount(logger, PhoneNumberMask.Mask(phoneNumber), owned.Sid, createsSent);
                    return new PurchasedPhoneNumber(owned, FoundOnAccount: true, createsSent);
                }

                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    createsSent++;
                    var created = await IncomingPhoneNumberResource.CreateAsync(create, twilio);
                    return new PurchasedPhoneNumber(created, FoundOnAccount: false, createsSent);
                }
                catch (Exception ex) when (IsAmbiguous(ex, cancellationToken))
                {
                    ambiguous = ex;
                    LogAmbiguousPurchase(logger, PhoneNumberMask.Mask(phoneNumber), attempt, options.PurchaseAttempts, ex.GetType().Name, ex.Message);
                }
            }

            // The last attempt's answer was lost too; its purchase may have gone through.
            if (await twilio.FindIncomingPhoneNumberAsync(phoneNumber, cancellationToken) is { } late)
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
                if (await twilio.FindIncomingPhoneNumberAsync(phoneNumber, cancellationToken) is { } ours)
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

    /// <summary>
    /// A lost answer: Twilio may or may not have acted. Only failures that prove the create was
    /// refused or never left are not: anything else after sending (a timeout, a 5xx, a dropped
    /// connection, a success body the SDK could not read) may hide a purchase.
    /// </summary>
    private static bool IsAmbiguous(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        TwilioApiException api => !api.IsDefinitive && !api.IsRateLimited,
        // Refused by our own circuit breaker, or nothing to send with: the request never left.
        BrokenCircuitException or TwilioNotConfiguredException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        OutOfMemoryException => false,
        _ => true,
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
