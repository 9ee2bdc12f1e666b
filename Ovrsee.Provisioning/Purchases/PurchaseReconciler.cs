using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Twilio.Rest;
using Ovrsee.Twilio;
using Twilio.Clients;

namespace Ovrsee.Provisioning.Purchases;

/// <summary>
/// Settles purchases left pending by a crash or a Twilio outage when nobody retries them: if the
/// number is on the account it is recorded for the workspace that asked (bought, so it must not
/// be lost); if it is not, the intent is forgotten. Purchases whose lock a live request holds are
/// skipped, so replicas and retries never settle the same purchase twice.
/// </summary>
public sealed partial class PurchaseReconciler(
    NpgsqlDataSource dataSource,
    IServiceScopeFactory scopes,
    WebhookTargets targets,
    IOptionsMonitor<ProvisioningOptions> options,
    TimeProvider time,
    ILogger<PurchaseReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CurrentValue.ReconcileInterval, time);
        do
        {
            try
            {
                while (await ReconcileOneAsync(stoppingToken))
                {
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Twilio or PostgreSQL away: the purchase stays pending and the next round retries.
                LogRoundFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>Whether a purchase was settled (then look for the next one at once).</returns>
    public async Task<bool> ReconcileOneAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Cross-tenant by nature: a purchase of any workspace may be left behind.
        await using var transaction = await SystemPath.BeginTransactionAsync(connection, cancellationToken);
        var purchase = await NumberPurchases.ClaimStaleAsync(connection, transaction, options.CurrentValue.ReconcileAfter, cancellationToken);
        if (purchase is null)
        {
            return false;
        }

        // A scope per purchase: the Twilio client is short-lived by design, like a typed HttpClient (handler rotation, DNS).
        await using var services = scopes.CreateAsyncScope();
        var twilio = services.ServiceProvider.GetRequiredService<ITwilioRestClient>();
        var purchaser = services.ServiceProvider.GetRequiredService<NumberPurchaser>();
        var number = await twilio.FindIncomingPhoneNumberAsync(purchase.PhoneNumber, cancellationToken);
        if (number is null)
        {
            await NumberPurchases.DeleteAsync(connection, transaction, purchase.Id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogForgotten(logger, PhoneNumberMask.Mask(purchase.PhoneNumber), purchase.WorkspaceId);
            return true;
        }

        WebhookEndpoints? endpoints = null;
        var configured = false;
        try
        {
            endpoints = targets.Resolve();
            configured = await purchaser.EnsureWebhooksAsync(number, endpoints, cancellationToken);
        }
        catch (WebhookUrlNotPublicException ex)
        {
            LogNoPublicUrl(logger, number.Sid, ex.Message);
        }
        await NumberPurchaser.RecordAsync(connection, transaction, purchase, number, configured ? endpoints : null, endpoints, check: null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRecorded(logger, PhoneNumberMask.Mask(purchase.PhoneNumber), number.Sid, purchase.WorkspaceId);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling purchases failed ({Failure}: {Detail}); retrying next round")]
    private static partial void LogRoundFailed(ILogger logger, string failure, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pending purchase of {PhoneNumber} for workspace {WorkspaceId}: not on the account, so not bought; forgotten")]
    private static partial void LogForgotten(ILogger logger, string phoneNumber, Guid workspaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pending purchase of {PhoneNumber}: on the account as {Sid}; recorded for workspace {WorkspaceId}")]
    private static partial void LogRecorded(ILogger logger, string phoneNumber, string sid, Guid workspaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovered number {Sid} recorded without webhooks: {Detail}")]
    private static partial void LogNoPublicUrl(ILogger logger, string sid, string detail);
}
