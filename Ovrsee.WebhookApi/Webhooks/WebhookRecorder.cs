using Microsoft.Extensions.Options;
using Npgsql;
using Ovrsee.Twilio;
using Ovrsee.WebhookApi.Infrastructure;

namespace Ovrsee.WebhookApi.Webhooks;

public sealed class WebhookRecorderOptions
{
    /// <summary>
    /// The most a webhook waits for PostgreSQL, pool wait, connection open and statement together,
    /// before it spools instead. A hard bound: the answer does not wait for the driver to give up.
    /// </summary>
    public TimeSpan DatabaseTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The most a webhook waits for the spool's flushed write when PostgreSQL did not take it.</summary>
    public TimeSpan SpoolTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

internal sealed class WebhookRecorderOptionsValidator : IValidateOptions<WebhookRecorderOptions>
{
    // Twilio gives up on a webhook after 15 s; the rest is for the network, the body and the answer.
    internal static readonly TimeSpan MaxTotal = TimeSpan.FromSeconds(10);

    public ValidateOptionsResult Validate(string? name, WebhookRecorderOptions options) =>
        options.DatabaseTimeout <= TimeSpan.Zero || options.SpoolTimeout <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Webhooks:DatabaseTimeout and Webhooks:SpoolTimeout must be positive.")
        : options.DatabaseTimeout + options.SpoolTimeout > MaxTotal
            ? ValidateOptionsResult.Fail($"Webhooks:DatabaseTimeout + Webhooks:SpoolTimeout must be at most {MaxTotal.TotalSeconds:0} s: Twilio gives up after 15 s.")
        : ValidateOptionsResult.Success;
}

/// <summary>Neither PostgreSQL nor the spool took the callback within its budget; the caller must say so (503), not pretend.</summary>
public sealed class WebhookNotStoredException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The webhook's write path: PostgreSQL when it answers within <see cref="WebhookRecorderOptions.DatabaseTimeout"/>,
/// otherwise the durable spool within <see cref="WebhookRecorderOptions.SpoolTimeout"/>. Either way
/// the callback is safe before Twilio hears back from us, and Twilio hears back in bounded time.
/// A write abandoned at the deadline may still commit later; the spool's replay of the same
/// callback is then a no-op, because every write is idempotent.
/// </summary>
public sealed partial class WebhookRecorder(
    CallbackRecorder database,
    GroupCommit groupCommit,
    WebhookSpool spool,
    IOptions<WebhookRecorderOptions> options,
    ILogger<WebhookRecorder> logger)
{
    /// <returns>The call as stored, or null when it was spooled (or set aside) instead.</returns>
    /// <exception cref="WebhookNotStoredException">Neither PostgreSQL nor the spool took it in time.</exception>
    public async Task<IncomingCallRecord?> RecordAsync(TwilioCallback callback, CancellationToken cancellationToken)
    {
        try
        {
            if (CallbackRecorder.IsGroupCommitted(callback.Kind))
            {
                var call = await WithinDatabaseBudgetAsync(token => groupCommit.RecordAsync(callback, token), cancellationToken);
                Log(callback, call is { InService: false } ? "recorded (number not in service)" : "recorded");
                return call;
            }
            await WithinDatabaseBudgetAsync(async token => { await database.RecordAsync(callback, token); return true; }, cancellationToken);
            Log(callback, "recorded");
            return null;
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            await SpoolAsync(callback, ex);
            return null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            await SetAsideAsync(callback, ex);
            return null;
        }
    }

    /// <returns>Whether the voice agent handled the call; false when unknown because PostgreSQL is away.</returns>
    public Task<bool> RecordStreamEndedAsync(TwilioCallback callback, CancellationToken cancellationToken) =>
        StoreOrKeepAsync(callback, token => database.RecordStreamEndedAsync(callback, token), whenKept: false, cancellationToken);

    /// <returns>The call and its number's routing; null when unknown or PostgreSQL is away (then: defaults).</returns>
    public Task<DialEndedRecord?> RecordDialEndedAsync(TwilioCallback callback, CancellationToken cancellationToken) =>
        StoreOrKeepAsync(callback, token => database.RecordDialEndedAsync(callback, token), whenKept: null, cancellationToken);

    /// <summary>
    /// PostgreSQL within its budget; otherwise the callback is kept on disk (spooled for replay, or
    /// set aside when PostgreSQL refused it for good) and the caller gets <paramref name="whenKept"/>.
    /// </summary>
    private async Task<T> StoreOrKeepAsync<T>(TwilioCallback callback, Func<CancellationToken, Task<T>> write, T whenKept, CancellationToken cancellationToken)
    {
        try
        {
            return await WithinDatabaseBudgetAsync(write, cancellationToken);
        }
        catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            await SpoolAsync(callback, ex);
            return whenKept;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            await SetAsideAsync(callback, ex);
            return whenKept;
        }
    }

    /// <summary>
    /// Npgsql honours cancellation in most states but not all (a cancel request to a server that is
    /// hung rather than gone waits out its own timeout), so the deadline is enforced here as well:
    /// past it we stop waiting (TimeoutException, which counts as unavailable) and leave the write to
    /// end on its own; its CancellationTokenSource is disposed when it does.
    /// </summary>
    private async Task<T> WithinDatabaseBudgetAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        var budget = options.Value.DatabaseTimeout;
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(budget);
        Task<T> task;
        try
        {
            task = write(deadline.Token);
        }
        catch
        {
            deadline.Dispose();
            throw;
        }
        _ = task.ContinueWith(static (finished, state) =>
        {
            _ = finished.Exception; // observed: an abandoned write's failure is not news
            ((IDisposable)state!).Dispose();
        }, deadline, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await task.WaitAsync(budget, cancellationToken);
    }

    private async Task SpoolAsync(TwilioCallback callback, Exception reason)
    {
        await WithinSpoolBudgetAsync(spool.AppendAsync(callback, CancellationToken.None), callback);
        LogSpooled(logger, reason.GetType().Name, callback.Kind, callback.CallSid);
    }

    /// <summary>
    /// PostgreSQL refused the callback for good (a constraint, or a bug of ours): a replay would only
    /// repeat that, so it is kept on disk for an operator, and Twilio still gets its normal answer
    /// (TwiML for an incoming-call), never a 500.
    /// </summary>
    private async Task SetAsideAsync(TwilioCallback callback, Exception refusal)
    {
        await WithinSpoolBudgetAsync(spool.SetAsideAsync(callback, CancellationToken.None), callback);
        var reason = refusal is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : refusal.GetType().Name;
        LogSetAside(logger, refusal, callback.Kind, callback.CallSid, reason, spool.DeadDirectoryPath);
    }

    private async Task WithinSpoolBudgetAsync(Task write, TwilioCallback callback)
    {
        try
        {
            // Not cancelled: a write that finishes late still keeps the callback.
            await write.WaitAsync(options.Value.SpoolTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or UnauthorizedAccessException)
        {
            _ = write.ContinueWith(static finished => _ = finished.Exception, TaskScheduler.Default);
            LogNotStored(logger, ex, callback.Kind, callback.CallSid, spool.DirectoryPath);
            throw new WebhookNotStoredException($"{callback.Kind} for {callback.CallSid} was not stored: PostgreSQL and the spool both failed or timed out.", ex);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL unavailable ({Error}); {Kind} for {CallSid} spooled to disk for replay")]
    private static partial void LogSpooled(ILogger logger, string error, CallbackKind kind, string callSid);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} for {CallSid} could not be stored ({Reason}); kept in {Directory} for an operator, Twilio answered normally")]
    private static partial void LogSetAside(ILogger logger, Exception exception, CallbackKind kind, string callSid, string reason, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} for {CallSid}: PostgreSQL did not take it in time and neither did the spool in {Directory}")]
    private static partial void LogNotStored(ILogger logger, Exception exception, CallbackKind kind, string callSid, string directory);
}
