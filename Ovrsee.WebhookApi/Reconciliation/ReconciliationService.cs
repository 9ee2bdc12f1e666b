using Microsoft.Extensions.Options;
using Ovrsee.Twilio;

namespace Ovrsee.WebhookApi.Reconciliation;

/// <summary>
/// Runs reconciliation shortly after start-up (catching up on whatever Twilio could not deliver
/// while we were down) and then every <see cref="ReconciliationOptions.Interval"/>, on every
/// replica; the advisory lock lets one of them run at a time and the others skip. A run that
/// fails (database or Twilio away beyond its retries) is logged and the next one tries again.
/// </summary>
public sealed class ReconciliationService(
    CallReconciler reconciler,
    IOptionsMonitor<ReconciliationOptions> options,
    IOptionsMonitor<TwilioOptions> twilio,
    TimeProvider time,
    ILogger<ReconciliationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Enabled)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(twilio.CurrentValue.AccountSid))
        {
            // Local development without a Twilio account: there is nothing to compare against.
            logger.LogInformation("Reconciliation is off: Twilio:AccountSid is not configured");
            return;
        }
        var trigger = "startup";
        var wait = options.CurrentValue.StartupDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, time, stoppingToken);
                await reconciler.RunAsync(trigger, workspaceId: null, waitForLock: TimeSpan.Zero, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Reconciliation ({Trigger}) failed; next run in {Interval}", trigger, options.CurrentValue.Interval);
            }
            trigger = "periodic";
            wait = options.CurrentValue.Interval;
        }
    }
}
