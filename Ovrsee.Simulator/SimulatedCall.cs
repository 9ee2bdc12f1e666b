namespace Ovrsee.Simulator;

/// <summary>One call to place, and what the caller will do.</summary>
public sealed record SimulatedCall(string CallSid, string From, string To, bool LeavesVoicemail, int TalkSeconds)
{
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
