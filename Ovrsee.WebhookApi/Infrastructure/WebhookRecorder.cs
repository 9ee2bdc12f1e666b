using Microsoft.Extensions.Options;
using Ovrsee.Twilio;

namespace Ovrsee.WebhookApi.Infrastructure;

public sealed class WebhookRecorderOptions
{
    /// <summary>How long a webhook waits for PostgreSQL before it spools instead (Twilio gives up at 15 s).</summary>
    public TimeSpan DatabaseTimeout { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// The webhook's write path: PostgreSQL when it answers, otherwise the durable spool. Either way
/// the callback is safe before Twilio hears back from us.
/// </summary>
public sealed class WebhookRecorder(
    CallbackRecorder database,
    GroupCommit groupCommit,
    WebhookSpool spool,
    IOptions<WebhookRecorderOptions> options,
    ILogger<WebhookRecorder> logger)
{
    /// <returns>The call as stored, or null when PostgreSQL was unavailable and the callback was spooled.</returns>
    public async Task<IncomingCallRecord?> RecordAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.DatabaseTimeout);
            if (CallbackRecorder.IsGroupCommitted(callback.Kind))
            {
                var call = await groupCommit.RecordAsync(callback, timeout.Token);
                Log(callback, call is { InService: false } ? "recorded (number not in service)" : "recorded");
                return call;
            }
            await database.RecordAsync(callback, timeout.Token);
            Log(callback, "recorded");
            return null;
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            await spool.AppendAsync(callback, CancellationToken.None);
            logger.LogWarning("PostgreSQL unavailable ({Error}); {Kind} for {CallSid} spooled to disk for replay",
                ex.GetType().Name, callback.Kind, callback.CallSid);
            return null;
        }
    }

    /// <returns>Whether the voice agent handled the call; false when unknown because PostgreSQL is away.</returns>
    public async Task<bool> RecordStreamEndedAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.DatabaseTimeout);
            return await database.RecordStreamEndedAsync(callback, timeout.Token);
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            await spool.AppendAsync(callback, CancellationToken.None);
            return false;
        }
    }

    // Debug: one line per webhook costs more than the webhook's own work at production rates.
    private void Log(TwilioCallback callback, string outcome)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("{Kind} {CallSid} {Status} from {From} to {To}: {Outcome}",
                callback.Kind, callback.CallSid, callback.Get("CallStatus") ?? callback.Get("RecordingStatus"),
                PhoneNumberMask.Mask(callback.Get("From")), PhoneNumberMask.Mask(callback.Get("To")), outcome);
        }
    }
}
