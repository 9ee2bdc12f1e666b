namespace Ovrsee.Simulator;

/// <summary>One call to place, and what the caller will do.</summary>
/// <param name="DialOutcomes">
/// What each person a Dial rings does, in turn (Twilio's DialCallStatus: completed, no-answer, busy,
/// failed); the last repeats. Default: nobody answers, so forwarded calls reach voicemail.
/// </param>
/// <param name="PressDuringAgent">
/// The key the caller presses halfway through a media stream: 1 (leave a message, the default), or 0
/// (a person, where the number allows a transfer).
/// </param>
public sealed record SimulatedCall(
    string CallSid, string From, string To, bool LeavesVoicemail, int TalkSeconds, IReadOnlyList<string>? DialOutcomes = null, string PressDuringAgent = "1")
{
    public static readonly string[] DialStatuses = ["completed", "no-answer", "busy", "failed"];

    /// <summary>The outcome of the <paramref name="attempt"/>-th Dial of this call.</summary>
    public string DialOutcome(int attempt) =>
        DialOutcomes is { Count: > 0 } outcomes ? outcomes[Math.Min(attempt, outcomes.Count - 1)] : "no-answer";

    public static SimulatedCall Random(string to, bool leavesVoicemail, Random random) => new(
        "CA" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        "+1415555" + random.Next(1000, 9999),
        to,
        leavesVoicemail,
        random.Next(8, 90));
}

/// <summary>What a call should look like in Ovrsee afterwards: the simulator's ground truth.</summary>
public sealed record CallOutcome(
    SimulatedCall Call,
    string FinalStatus,
    int DurationSeconds,
    string? RecordingSid,
    IReadOnlyList<string> TwiMLVerbs,
    int RequestsSent,
    int Retries);
