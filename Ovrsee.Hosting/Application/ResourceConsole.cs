namespace Ovrsee.Hosting.Application;

public sealed record ConsoleLine(long Sequence, DateTimeOffset Time, string Text);

/// <summary>
/// A resource's recent console output, bounded. Numbered, so a dashboard that polls with the
/// last number it saw gets exactly the lines it has not shown yet.
/// </summary>
public sealed class ResourceConsole(int capacity = 2000)
{
    private readonly Queue<ConsoleLine> _lines = new();
    private long _sequence;

    public void Append(string text)
    {
        lock (_lines)
        {
            _lines.Enqueue(new ConsoleLine(++_sequence, DateTimeOffset.Now, text));
            if (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public IReadOnlyList<ConsoleLine> After(long sequence, int max = 1000)
    {
        lock (_lines)
        {
            return _lines.Where(l => l.Sequence > sequence).Take(max).ToList();
        }
    }

    public IReadOnlyList<string> Tail(int count)
    {
        lock (_lines)
        {
            return _lines.Skip(Math.Max(0, _lines.Count - count)).Select(l => l.Text).ToList();
        }
    }
}
