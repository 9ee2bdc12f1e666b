namespace Ovrsee.Simulator;

/// <summary>The ways real Twilio traffic misbehaves, each on demand.</summary>
public sealed record ChaosOptions
{
    /// <summary>Some callbacks are delivered twice.</summary>
    public bool Duplicate { get; init; }

    /// <summary>Status callbacks arrive in a shuffled order.</summary>
    public bool Reorder { get; init; }

    /// <summary>Some requests are repeated as Twilio's retries: same body, same I-Twilio-Idempotency-Token.</summary>
    public bool Retry { get; init; }

    /// <summary>Random pauses before callbacks.</summary>
    public bool Delay { get; init; }

    /// <summary>Some requests are cut off before the answer is read, then retried.</summary>
    public bool DropConnection { get; init; }

    public double Probability { get; init; } = 0.3;
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    public static ChaosOptions None { get; } = new();
    public static ChaosOptions All { get; } = new() { Duplicate = true, Reorder = true, Retry = true, Delay = true, DropConnection = true };

    public static ChaosOptions Parse(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return None;
        var names = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (names.Contains("all")) return All;
        var unknown = names.Except(["duplicate", "reorder", "retry", "delay", "drop"], StringComparer.OrdinalIgnoreCase).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown chaos option(s): {string.Join(", ", unknown)}. Use duplicate, reorder, retry, delay, drop or all.");
        return new ChaosOptions
        {
            Duplicate = names.Contains("duplicate"), Reorder = names.Contains("reorder"), Retry = names.Contains("retry"),
            Delay = names.Contains("delay"), DropConnection = names.Contains("drop"),
        };
    }
}
