using System.Globalization;
using System.Net.Http.Json;

namespace Ovrsee.Benchmarks;

public sealed record ResourceFigures(double ServerCpuSeconds, double PostgresCpuSeconds, long PeakRssBytes, long? PeakGcHeapBytes);

/// <summary>
/// What a run costs the machine: CPU seconds of the server under test and of PostgreSQL (the
/// postmaster and all its backends), from /proc; the server's peak resident set; and for our
/// service its GC heap, read twice a second from its diagnostics endpoint.
/// </summary>
public sealed class ResourceMeter : IAsyncDisposable
{
    private readonly int _serverPid;
    private readonly int _postmasterPid;
    private readonly Uri? _diagnostics;
    private readonly double _serverCpuAtStart;
    private readonly double _postgresCpuAtStart;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakRss;
    private long _peakGcHeap = -1;

    public ResourceMeter(int serverPid, int postmasterPid, Uri? diagnostics)
    {
        (_serverPid, _postmasterPid, _diagnostics) = (serverPid, postmasterPid, diagnostics);
        _serverCpuAtStart = CpuSeconds(serverPid);
        _postgresCpuAtStart = PostgresCpuSeconds();
        _sampler = Task.Run(SampleAsync);
    }

    public async Task<ResourceFigures> StopAsync()
    {
        var figures = new ResourceFigures(CpuSeconds(_serverPid) - _serverCpuAtStart, PostgresCpuSeconds() - _postgresCpuAtStart, 0, null);
        await _stop.CancelAsync();
        await _sampler;
        return figures with { PeakRssBytes = _peakRss, PeakGcHeapBytes = _peakGcHeap < 0 ? null : _peakGcHeap };
    }

    private async Task SampleAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (!_stop.IsCancellationRequested)
        {
            _peakRss = Math.Max(_peakRss, RssBytes(_serverPid));
            if (_diagnostics is not null)
            {
                try
                {
                    var sample = await http.GetFromJsonAsync<Diagnostics>(_diagnostics, _stop.Token);
                    _peakGcHeap = Math.Max(_peakGcHeap, sample?.GcHeapBytes ?? 0);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                }
            }
            try { await Task.Delay(500, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    private double PostgresCpuSeconds() => PostgresCpuSeconds(_postmasterPid);

    /// <summary>CPU seconds of the postmaster and every process it started (backends, WAL writer, checkpointer...).</summary>
    internal static double PostgresCpuSeconds(int postmasterPid)
    {
        var total = CpuSeconds(postmasterPid);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && pid != postmasterPid && ParentOf(pid) == postmasterPid)
            {
                total += CpuSeconds(pid);
            }
        }
        return total;
    }

    // /proc/<pid>/stat: fields after the command name (which may hold spaces) start at state (field 3).
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int ParentOf(int pid) => StatFields(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : -1;

    // utime + stime (fields 14 and 15) plus the waited-for children's (16, 17), in clock ticks of 1/100 s.
    internal static double CpuSeconds(int pid) => StatFields(pid) is { } fields
        ? (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
           + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0
        : 0;

    private static long RssBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _sampler;
        }
        _stop.Dispose();
    }

    private sealed record Diagnostics(long GcHeapBytes, long WorkingSetBytes);
}
