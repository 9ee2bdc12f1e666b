using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio;
using Ovrsee.Twilio.Rest;
using Polly;
using Twilio.Clients;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.WebhookApi.Reconciliation;

/// <summary>
/// Makes our records match Twilio's: for each active number, the calls Twilio lists since the
/// number was last reconciled, then the account's recordings of those calls, then the calls we
/// still hold as ringing or in progress long after they started (the stuck-call sweep). Every
/// repair is written as the webhook Twilio would have sent (<see cref="CallbackRecorder"/>, the
/// webhooks' own idempotent, order-independent write path) with <c>source: reconciled</c> in its
/// payload, so a webhook arriving late and the reconciler converge on one record and never move a
/// status backwards. One run at a time across replicas (an advisory lock).
/// </summary>
public sealed class CallReconciler(
    ReconciliationStore store,
    CallbackRecorder recorder,
    IServiceProvider services,
    IOptionsMonitor<ReconciliationOptions> options,
    ReconciliationMetrics metrics,
    TimeProvider time,
    ILogger<CallReconciler> logger)
{
    public const string Source = "reconciled";

    // For the nested run (primary-constructor parameters are not members).
    private ReconciliationStore Store => store;
    private CallbackRecorder Recorder => recorder;
    private IOptionsMonitor<ReconciliationOptions> Options => options;
    private ILogger Logger => logger;

    private static readonly HashSet<string> FinalStatuses = new(StringComparer.Ordinal) { "completed", "busy", "failed", "no-answer", "canceled" };

    /// <param name="workspaceId">Only this workspace's numbers (the on-demand API), or all.</param>
    /// <param name="waitForLock">How long to wait for a run already under way; zero skips instead.</param>
    public async Task<ReconciliationReport> RunAsync(string trigger, Guid? workspaceId, TimeSpan waitForLock, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        await using var runLock = await store.TryLockAsync(waitForLock, time, cancellationToken);
        if (runLock is null)
        {
            logger.LogInformation("Reconciliation ({Trigger}) skipped: another run holds the lock", trigger);
            var busy = ReconciliationReport.Busy(trigger, startedAt);
            metrics.Run(busy);
            return busy;
        }

        var run = new Run(this, time.GetUtcNow());
        var numbers = await store.ActiveNumbersAsync(workspaceId, cancellationToken);
        await run.ReconcileAsync(numbers, cancellationToken);
        var stuckClosed = await SweepStuckCallsAsync(run, workspaceId, cancellationToken);

        var report = new ReconciliationReport(
            run.FailedNumbers > 0 ? "partial" : "completed", trigger, numbers.Count,
            run.CallsCreated, run.CallsClosed, run.VoicemailsCreated, stuckClosed, run.FailedNumbers, startedAt, time.GetUtcNow());
        metrics.Run(report);
        metrics.Repaired("call-created", report.CallsCreated);
        metrics.Repaired("call-closed", report.CallsClosed);
        metrics.Repaired("voicemail-created", report.VoicemailsCreated);
        metrics.Repaired("stuck-call-closed", report.StuckCallsClosed);
        logger.Log(report.Repairs > 0 || report.FailedNumbers > 0 ? LogLevel.Warning : LogLevel.Information,
            "Reconciliation ({Trigger}) {Outcome}: {Numbers} numbers, {CallsCreated} missing calls created, {CallsClosed} calls closed, " +
            "{VoicemailsCreated} missing voicemails created, {StuckCallsClosed} stuck calls closed, {FailedNumbers} numbers to retry",
            trigger, report.Outcome, report.Numbers, report.CallsCreated, report.CallsClosed, report.VoicemailsCreated,
            report.StuckCallsClosed, report.FailedNumbers);
        return report;
    }

    private async Task<int> SweepStuckCallsAsync(Run run, Guid? workspaceId, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var stuck = await store.StuckCallsAsync(settings.StuckAfter, settings.StuckBatchSize, workspaceId, cancellationToken);
        var closed = 0;
        var twilio = Twilio();
        foreach (var call in stuck)
        {
            CallResource truth;
            try
            {
                truth = await WithTwilioRetriesAsync(() => CallResource.FetchAsync(new FetchCallOptions(call.CallSid), twilio), cancellationToken);
            }
            catch (TwilioApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                logger.LogWarning("Stuck call {CallSid}: Twilio does not know it; left as it is", call.CallSid);
                continue;
            }
            catch (Exception ex) when (IsTwilioFailure(ex))
            {
                logger.LogWarning("Stuck-call sweep stopped by Twilio ({Error}); it resumes next run", ex.Message);
                break;
            }
            var status = truth.Status?.ToString();
            if (status is null || !FinalStatuses.Contains(status))
            {
                continue;
            }
            await recorder.RecordCallAsync(StatusCallback(truth, status), cancellationToken);
            closed++;
            if (call.PhoneNumberId is { } numberId)
            {
                await store.RecordNumberAsync(numberId, reconciledAt: null, repairs: 1, cancellationToken);
            }
            logger.LogInformation("Stuck call {CallSid} closed as {Status} from Twilio", call.CallSid, status);
        }
        return closed;
    }

    /// <summary>
    /// One Twilio request, retried past the REST client's own retries when Twilio rate-limits
    /// (its Retry-After, else backoff) or is unavailable: a 429 storm or a short outage delays the
    /// run, it does not end it.
    /// </summary>
    private async Task<T> WithTwilioRetriesAsync<T>(Func<Task<T>> request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await request();
            }
            catch (Exception ex) when (attempt < settings.MaxAttemptsPerRequest && IsTransient(ex, out var retryAfter))
            {
                var backoff = TimeSpan.FromTicks(Math.Min(settings.RetryMaxDelay.Ticks, settings.RetryBaseDelay.Ticks << Math.Min(attempt - 1, 20)));
                var wait = retryAfter is { } twilioSays && twilioSays <= settings.RetryMaxDelay ? twilioSays : backoff;
                metrics.TwilioRetry(ex is TwilioApiException { IsRateLimited: true } ? "rate-limited" : "unavailable");
                logger.LogInformation("Twilio {Problem}; reconciliation waits {Wait} (attempt {Attempt})", ex.Message, wait, attempt);
                await Task.Delay(wait, time, cancellationToken);
            }
        }
    }

    private static bool IsTransient(Exception ex, out TimeSpan? retryAfter)
    {
        retryAfter = (ex as TwilioApiException)?.RetryAfter;
        return ex switch
        {
            TwilioApiException api => api.IsRateLimited || (int)api.StatusCode >= 500,
            HttpRequestException or ExecutionRejectedException => true,
            _ => false,
        };
    }

    private static bool IsTwilioFailure(Exception ex) =>
        ex is TwilioApiException or HttpRequestException or ExecutionRejectedException or TwilioNotConfiguredException;

    // Transient by registration: one client per run.
    private ITwilioRestClient Twilio() => services.GetRequiredService<ITwilioRestClient>();

    private static TwilioCallback IncomingCallback(CallResource call) => Callback(CallbackKind.IncomingCall, new()
    {
        ["AccountSid"] = call.AccountSid,
        ["CallSid"] = call.Sid,
        ["CallStatus"] = "ringing",
        ["Direction"] = call.Direction?.ToString() ?? "inbound",
        ["From"] = call.From,
        ["To"] = call.To,
        ["Caller"] = call.From,
        ["Called"] = call.To,
        ["Timestamp"] = Rfc2822(StartedAt(call)),
    });

    private static TwilioCallback StatusCallback(CallResource call, string status) => Callback(CallbackKind.CallStatus, new()
    {
        ["AccountSid"] = call.AccountSid,
        ["CallSid"] = call.Sid,
        ["CallStatus"] = status,
        ["Direction"] = call.Direction?.ToString() ?? "inbound",
        ["From"] = call.From,
        ["To"] = call.To,
        ["CallDuration"] = call.Duration,
        ["Timestamp"] = Rfc2822(FinalStatuses.Contains(status) ? EndedAt(call) : StartedAt(call)),
    });

    private static TwilioCallback RecordingCallback(RecordingResource recording) => Callback(CallbackKind.VoicemailRecorded, new()
    {
        ["AccountSid"] = recording.AccountSid,
        ["CallSid"] = recording.CallSid,
        ["RecordingSid"] = recording.Sid,
        // What Twilio's recording callback sends: the resource URL, audio at <url>.wav.
        ["RecordingUrl"] = $"{TwilioOptions.DefaultBaseUrl}/2010-04-01/Accounts/{recording.AccountSid}/Recordings/{recording.Sid}",
        ["RecordingStatus"] = recording.Status?.ToString(),
        ["RecordingDuration"] = recording.Duration,
        ["RecordingChannels"] = recording.Channels?.ToString(CultureInfo.InvariantCulture),
        ["RecordingSource"] = recording.Source?.ToString(),
        ["Timestamp"] = Rfc2822(recording.DateUpdated ?? recording.DateCreated ?? DateTime.UtcNow),
    });

    private static TwilioCallback Callback(CallbackKind kind, Dictionary<string, string?> parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);
        // On the call's timeline (the event payload) this says where the record came from.
        present["source"] = Source;
        return new TwilioCallback(kind, present, DateTimeOffset.UtcNow);
    }

    private static DateTime StartedAt(CallResource call) => call.StartTime ?? call.DateCreated ?? DateTime.UtcNow;

    private static DateTime EndedAt(CallResource call) =>
        call.EndTime ?? (int.TryParse(call.Duration, out var seconds) ? StartedAt(call).AddSeconds(seconds) : call.DateUpdated ?? DateTime.UtcNow);

    // As Twilio writes Timestamp on its callbacks; TwilioCallback.OccurredAt reads it back.
    private static string Rfc2822(DateTime at) =>
        DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    /// <summary>One run's work and tallies.</summary>
    private sealed class Run(CallReconciler owner, DateTimeOffset startedAt)
    {
        public int CallsCreated;
        public int CallsClosed;
        public int VoicemailsCreated;
        public int FailedNumbers;

        private readonly ITwilioRestClient _twilio = owner.Twilio();
        private readonly Dictionary<Guid, int> _repairsByNumber = [];

        public async Task ReconcileAsync(IReadOnlyList<ReconciledNumber> numbers, CancellationToken cancellationToken)
        {
            var settings = owner.Options.CurrentValue;
            var compared = new List<ReconciledNumber>();
            var since = startedAt;
            foreach (var number in numbers)
            {
                var from = (number.LastReconciledAt ?? startedAt - settings.InitialLookback) - settings.Overlap;
                try
                {
                    await ReconcileCallsAsync(number, from, settings.PageSize, cancellationToken);
                    compared.Add(number);
                    since = from < since ? from : since;
                }
                catch (Exception ex) when (IsTwilioFailure(ex))
                {
                    FailedNumbers++;
                    owner.Logger.LogWarning("Reconciling {Number} failed ({Error}); it is retried next run",
                        PhoneNumberMask.Mask(number.PhoneNumber), ex.Message);
                }
            }

            if (compared.Count > 0)
            {
                try
                {
                    await ReconcileRecordingsAsync(since, settings.PageSize, cancellationToken);
                }
                catch (Exception ex) when (IsTwilioFailure(ex))
                {
                    // Calls were compared, recordings not: the numbers keep their old point so the
                    // next run lists those recordings again.
                    owner.Logger.LogWarning("Reconciling recordings failed ({Error}); retried next run", ex.Message);
                    FailedNumbers += compared.Count;
                    compared.Clear();
                }
            }

            var comparedIds = compared.Select(n => n.Id).ToHashSet();
            foreach (var number in numbers)
            {
                var repairs = _repairsByNumber.GetValueOrDefault(number.Id);
                if (comparedIds.Contains(number.Id) || repairs > 0)
                {
                    await owner.Store.RecordNumberAsync(number.Id, comparedIds.Contains(number.Id) ? startedAt : null, repairs, cancellationToken);
                }
            }
        }

        private async Task ReconcileCallsAsync(ReconciledNumber number, DateTimeOffset from, int pageSize, CancellationToken cancellationToken)
        {
            Request? page = TwilioPages.FirstPage(_twilio, new ReadCallOptions
            {
                To = new PhoneNumber(number.PhoneNumber),
                StartTimeAfter = from.UtcDateTime,
                PageSize = pageSize,
            });
            while (page is not null)
            {
                var request = page;
                var calls = await owner.WithTwilioRetriesAsync(() => _twilio.ReadCallsAsync(request, cancellationToken), cancellationToken);
                var inbound = calls.Records.Where(c => c.Direction?.ToString() == "inbound").ToList();
                var ours = await owner.Store.CallsAsync([.. inbound.Select(c => c.Sid)], cancellationToken);
                foreach (var call in inbound)
                {
                    await RepairCallAsync(number, call, ours.GetValueOrDefault(call.Sid), cancellationToken);
                }
                page = TwilioPages.Next(calls);
            }
        }

        private async Task RepairCallAsync(ReconciledNumber number, CallResource call, StoredCall? ours, CancellationToken cancellationToken)
        {
            var status = call.Status?.ToString();
            if (status is null)
            {
                return;
            }
            var final = FinalStatuses.Contains(status);
            if (ours is null)
            {
                // Never reached us: the ring we never heard, then where it stands now.
                await owner.Recorder.RecordCallAsync(IncomingCallback(call), cancellationToken);
                if (status is not ("ringing" or "queued"))
                {
                    await owner.Recorder.RecordCallAsync(StatusCallback(call, status), cancellationToken);
                }
                CallsCreated++;
                Count(number.Id);
                return;
            }
            var missingDuration = ours.DurationSeconds is null && !string.IsNullOrEmpty(call.Duration) && ours.StatusRank >= 9;
            if ((final && ours.StatusRank < 9) || missingDuration)
            {
                await owner.Recorder.RecordCallAsync(StatusCallback(call, status), cancellationToken);
                CallsClosed++;
                Count(ours.PhoneNumberId ?? number.Id);
            }
        }

        private async Task ReconcileRecordingsAsync(DateTimeOffset from, int pageSize, CancellationToken cancellationToken)
        {
            Request? page = TwilioPages.FirstPage(_twilio, new ReadRecordingOptions { DateCreatedAfter = from.UtcDateTime, PageSize = pageSize });
            while (page is not null)
            {
                var request = page;
                var recordings = await owner.WithTwilioRetriesAsync(() => _twilio.ReadRecordingsAsync(request, cancellationToken), cancellationToken);
                // Voicemails only (the Record verb), completed, on calls to one of our numbers.
                var candidates = recordings.Records
                    .Where(r => r.Status?.ToString() == "completed" && r.CallSid is not null
                        && (r.Source is null || r.Source.ToString() == "RecordVerb"))
                    .ToList();
                var held = await owner.Store.CompletedVoicemailsAsync([.. candidates.Select(r => r.Sid)], cancellationToken);
                var missing = candidates.Where(r => !held.Contains(r.Sid)).ToList();
                var calls = await owner.Store.CallsAsync([.. missing.Select(r => r.CallSid).Distinct()], cancellationToken);
                foreach (var recording in missing)
                {
                    if (calls.GetValueOrDefault(recording.CallSid) is not { PhoneNumberId: { } numberId })
                    {
                        continue;
                    }
                    await owner.Recorder.RecordAsync(RecordingCallback(recording), cancellationToken);
                    VoicemailsCreated++;
                    Count(numberId);
                }
                page = TwilioPages.Next(recordings);
            }
        }

        private void Count(Guid numberId) => _repairsByNumber[numberId] = _repairsByNumber.GetValueOrDefault(numberId) + 1;
    }
}
