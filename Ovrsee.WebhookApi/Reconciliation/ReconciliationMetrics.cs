using System.Diagnostics.Metrics;

namespace Ovrsee.WebhookApi.Reconciliation;

/// <summary>What reconciliation fixed and how its runs went (meter <c>Ovrsee.Reconciliation</c>).</summary>
public sealed class ReconciliationMetrics
{
    public const string MeterName = "Ovrsee.Reconciliation";

    private readonly Counter<long> _repairs;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _twilioRetries;

    public ReconciliationMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _repairs = meter.CreateCounter<long>("ovrsee.reconciliation.repairs", "{record}",
            "Records reconciliation created or corrected (kind: call-created, call-closed, voicemail-created, stuck-call-closed).");
        _runs = meter.CreateCounter<long>("ovrsee.reconciliation.runs", "{run}", "Reconciliation runs by outcome and trigger.");
        _twilioRetries = meter.CreateCounter<long>("ovrsee.reconciliation.twilio_retries", "{request}",
            "Twilio requests reconciliation waited on and retried (reason: rate-limited, unavailable).");
    }

    public void Repaired(string kind, int count)
    {
        if (count > 0)
        {
            _repairs.Add(count, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    public void Run(ReconciliationReport report) =>
        _runs.Add(1, new("outcome", report.Outcome), new("trigger", report.Trigger));

    public void TwilioRetry(string reason) => _twilioRetries.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
