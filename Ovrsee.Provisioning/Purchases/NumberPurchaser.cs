using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using Npgsql;
using Ovrsee.Auth;
using Ovrsee.Provisioning.PhoneNumbers;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Twilio.Rest;
using Ovrsee.Twilio;
using Polly.CircuitBreaker;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Provisioning.Purchases;

/// <summary>
/// Buys a number for a workspace, never twice and never without recording it:
/// <list type="number">
/// <item>the intent is committed to number_purchases before Twilio is asked (with the
/// Idempotency-Key and a hash of the body, if a key was sent);</item>
/// <item>the purchase runs while its lock is held, so a duplicate request sees "in progress",
/// and a crash frees it at once for whoever retries (an advisory lock: the transaction has no id,
/// and holds back nobody's events, until it writes the outcome);</item>
/// <item>Twilio's number and the purchase's answer are committed together; the answer is what
/// the same key gets from then on.</item>
/// </list>
/// A retry of an unfinished purchase, and the reconciler, first look for the number on the account.
/// </summary>
public sealed partial class NumberPurchaser(
    NpgsqlDataSource dataSource,
    ITwilioRestClient twilio,
    IncomingPhoneNumberPurchaser purchaser,
    WebhookTargets targets,
    PublicUrlProbe probe,
    IHostApplicationLifetime lifetime,
    ILogger<NumberPurchaser> logger)
{
    public async Task<PurchaseResult> PurchaseAsync(
        WorkspaceContext workspace, PurchaseNumberRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var hash = RequestHash(request);
        // Refused before anything is recorded or bought: a number pointed at an unreachable URL is no use.
        var endpoints = targets.Resolve();

        NumberPurchase purchase;
        bool recovering;
        await using (var scope = await workspace.BeginScopeAsync(dataSource, cancellationToken))
        {
            var existing = idempotencyKey is null ? null : await NumberPurchases.FindByKeyAsync(scope, idempotencyKey, cancellationToken);
            recovering = existing is not null;
            if (existing is null)
            {
                if (await PhoneNumberStore.ActiveWorkspaceOfAsync(dataSource, request.PhoneNumber, cancellationToken) is { } owner)
                {
                    return owner == workspace.WorkspaceId
                        ? PurchaseResult.Problem(409, "Already yours", "This number is already active in this workspace.")
                        : PurchaseResult.Problem(409, "Number not available", "This number is not available. Search again and pick another.");
                }
                existing = await NumberPurchases.TryInsertAsync(scope, workspace.UserId, idempotencyKey, hash, request.PhoneNumber, request.FriendlyName, cancellationToken);
                if (existing is null && idempotencyKey is not null)
                {
                    // Lost a race with the same key: from here on it is that purchase.
                    existing = await NumberPurchases.FindByKeyAsync(scope, idempotencyKey, cancellationToken);
                    recovering = existing is not null;
                }
                if (existing is null)
                {
                    return PurchaseResult.Problem(409, "Purchase in progress",
                        "A purchase of this number is already in progress. Wait for it and search again.", TimeSpan.FromSeconds(2));
                }
            }

            if (existing.RequestHash != hash)
            {
                return PurchaseResult.Problem(422, "Idempotency-Key reused",
                    "This Idempotency-Key was first used with a different request body. Use a new key for a different purchase.");
            }
            if (!existing.IsPending)
            {
                return PurchaseResult.Replay(existing);
            }
            await scope.CommitAsync(cancellationToken);
            purchase = existing;
        }

        // Twilio may charge from here on: the purchase runs to its end even if the caller goes away.
        return await RunAsync(purchase, recovering, endpoints, lifetime.ApplicationStopping);
    }

    private async Task<PurchaseResult> RunAsync(NumberPurchase purchase, bool recovering, WebhookEndpoints endpoints, CancellationToken cancellationToken)
    {
        await using var scope = await WorkspaceScope.BeginAsync(dataSource, purchase.WorkspaceId, cancellationToken);
        var locked = await NumberPurchases.TryLockAsync(scope, purchase.Id, cancellationToken);
        if (locked is null)
        {
            return PurchaseResult.Problem(409, "Purchase in progress",
                "A request with this Idempotency-Key is still being processed. Retry shortly with the same key for its result.", TimeSpan.FromSeconds(1));
        }
        if (!locked.IsPending)
        {
            return PurchaseResult.Replay(locked);
        }

        PurchasedPhoneNumber bought;
        try
        {
            bought = await purchaser.PurchaseAsync(endpoints.ToCreate(purchase.PhoneNumber), checkAccountFirst: recovering, cancellationToken);
        }
        catch (TwilioApiException refused) when (refused.IsDefinitive && (!recovering || refused.Code == TwilioApiException.PhoneNumberNotAvailable))
        {
            // Twilio decided and nothing was bought. (While recovering, only "not available" after
            // our lookup proves that; other refusals, e.g. credentials, leave it for later.)
            var answer = PurchaseResult.FromProblem(TwilioProblems.From(refused)!.Problem);
            await NumberPurchases.FailAsync(scope.Connection, scope.Transaction, purchase.Id, answer.Status, answer.Json, refused.Message, cancellationToken);
            await scope.CommitAsync(cancellationToken);
            LogRefused(logger, PhoneNumberMask.Mask(purchase.PhoneNumber), refused.Code, refused.Message);
            return answer;
        }
        catch (Exception ex) when (TwilioProblems.From(ex) is { } mapped)
        {
            if (!recovering && NothingWasSent(ex))
            {
                // No create left this process: the intent can go, and the same key can try again.
                await NumberPurchases.DeleteAsync(scope.Connection, scope.Transaction, purchase.Id, cancellationToken);
            }
            else
            {
                await NumberPurchases.NoteUnconfirmedAsync(scope.Connection, scope.Transaction, purchase.Id, $"{ex.GetType().Name}: {ex.Message}", cancellationToken);
                LogUnconfirmed(logger, PhoneNumberMask.Mask(purchase.PhoneNumber), ex.GetType().Name, ex.Message);
            }
            await scope.CommitAsync(cancellationToken);
            return PurchaseResult.FromProblem(mapped.Problem, mapped.RetryAfter);
        }

        if (bought.FoundOnAccount)
        {
            LogRecovered(logger, PhoneNumberMask.Mask(purchase.PhoneNumber), bought.Number.Sid, bought.CreateAttempts);
        }
        var configured = await EnsureWebhooksAsync(bought.Number, endpoints, cancellationToken);
        var check = await probe.CheckAsync(endpoints.HealthUrl, cancellationToken);
        var result = await RecordAsync(scope.Connection, scope.Transaction, purchase, bought.Number, configured ? endpoints : null, endpoints, check, cancellationToken);
        await scope.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// Twilio has the number: record it in the purchase's workspace and store the answer. Shared
    /// with the reconciler, which runs it in a SystemPath transaction.
    /// </summary>
    /// <param name="configuredTo">Where Twilio sends its calls now, or null when that is not ours (yet).</param>
    internal static async Task<PurchaseResult> RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, NumberPurchase purchase, IncomingPhoneNumberResource number,
        WebhookEndpoints? configuredTo, WebhookEndpoints? endpoints, PublicUrlCheck? check, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync("record_number", cancellationToken);
        PhoneNumberDto row;
        try
        {
            row = await PhoneNumberStore.InsertAsync(connection, transaction, purchase.WorkspaceId, purchase.UserId,
                purchase.PhoneNumber, number.Sid, purchase.FriendlyName, configuredTo is not null, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Bought, but the number is already active somewhere (a row written outside this
            // service). Refuse to ring in two places; the stored answer tells the operator why.
            await transaction.RollbackAsync("record_number", cancellationToken);
            var conflict = PurchaseResult.Problem(409, "Number already active elsewhere",
                $"Twilio's number {number.Sid} is active in another workspace's records ({ex.ConstraintName}); an operator has to decide where it belongs.");
            await NumberPurchases.FailAsync(connection, transaction, purchase.Id, conflict.Status, conflict.Json, ex.MessageText, cancellationToken);
            return conflict;
        }

        var setup = endpoints?.ToSetup(check) ?? new WebhookSetup("", WebhookEndpoints.Method, "", WebhookEndpoints.Method, check);
        var result = PurchaseResult.Created(new ProvisionedNumber(row, setup));
        await NumberPurchases.CompleteAsync(connection, transaction, purchase.Id, row.Id, number.Sid, result.Status, result.Json, cancellationToken);
        return result;
    }

    /// <summary>
    /// A number found on the account (its create's answer was lost) may not carry our webhooks:
    /// set them. Failing that, the number is still recorded; configure-webhooks can finish the job.
    /// </summary>
    internal async Task<bool> EnsureWebhooksAsync(IncomingPhoneNumberResource number, WebhookEndpoints endpoints, CancellationToken cancellationToken)
    {
        if (endpoints.AreConfiguredOn(number))
        {
            return true;
        }
        try
        {
            await IncomingPhoneNumberResource.UpdateAsync(endpoints.ToUpdate(number.Sid), twilio);
            return true;
        }
        catch (Exception ex) when (TwilioProblems.From(ex) is not null)
        {
            LogWebhooksNotSet(logger, number.Sid, ex.Message);
            return false;
        }
    }

    /// <summary>Failures that prove no create request was sent (the client wraps anything after a lost answer as unconfirmed).</summary>
    private static bool NothingWasSent(Exception ex) =>
        ex is TwilioNotConfiguredException or BrokenCircuitException or WebhookUrlNotPublicException
            || ex is TwilioApiException { IsRateLimited: true };

    /// <summary>What "the same request" means for an Idempotency-Key: the normalised body.</summary>
    public static string RequestHash(PurchaseNumberRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, PurchaseResult.JsonOptions))));

    [LoggerMessage(Level = LogLevel.Information, Message = "Purchase of {PhoneNumber} refused by Twilio ({TwilioCode}): {Detail}")]
    private static partial void LogRefused(ILogger logger, string phoneNumber, int? twilioCode, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purchase of {PhoneNumber} unconfirmed ({Failure}: {Detail}); it stays pending for a retry with the same key or the reconciler")]
    private static partial void LogUnconfirmed(ILogger logger, string phoneNumber, string failure, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purchase of {PhoneNumber}: found on the account as {Sid} after {CreateAttempts} create attempt(s) whose answers were lost; recorded once")]
    private static partial void LogRecovered(ILogger logger, string phoneNumber, string sid, int createAttempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Number {Sid} was recorded but its webhooks could not be set ({Detail}); run configure-webhooks")]
    private static partial void LogWebhooksNotSet(ILogger logger, string sid, string detail);
}
