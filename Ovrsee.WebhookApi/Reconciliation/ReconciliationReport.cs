namespace Ovrsee.WebhookApi.Reconciliation;

/// <summary>What one reconciliation run found and fixed.</summary>
/// <param name="Outcome">completed; partial (some numbers could not be compared, they are retried next run); busy (another run holds the lock).</param>
public sealed record ReconciliationReport(
    string Outcome,
    string Trigger,
    int Numbers,
    int CallsCreated,
    int CallsClosed,
    int VoicemailsCreated,
    int StuckCallsClosed,
    int FailedNumbers,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt)
{
    public int Repairs => CallsCreated + CallsClosed + VoicemailsCreated + StuckCallsClosed;

    public static ReconciliationReport Busy(string trigger, DateTimeOffset at) => new("busy", trigger, 0, 0, 0, 0, 0, 0, at, at);
}
