using System.Diagnostics;
using Ovrsee.Hosting;

namespace Ovrsee.Hosting.Services;

/// <summary>One service running as a child process, as Aspire's DCP would run a project resource.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly ServiceProject _project;
    private readonly Dictionary<string, string?> _environment;
    private readonly LinkedList<string> _recentOutput = new();
    private Process? _process;
    private volatile bool _stopRequested;

    public ServiceProcess(ServiceProject project, Uri httpEndpoint, IDictionary<string, string?> environment)
    {
        _project = project;
        HttpEndpoint = httpEndpoint;
        // What its image sets first; the caller's settings win over it.
        _environment = project.ImageEnvironment().ToDictionary(e => e.Key, e => (string?)e.Value);
        foreach (var (key, value) in environment)
        {
            _environment[key] = value;
        }
        _environment["ASPNETCORE_URLS"] = httpEndpoint.ToString().TrimEnd('/');
        _environment["OTEL_SERVICE_NAME"] = project.Name;
    }

    public string Name => _project.Name;
    public Uri HttpEndpoint { get; }
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;
    public bool IsRunning => _process is { HasExited: false };
    public int? ProcessId => _process?.Id;

    public event Action<string>? OutputReceived;
    /// <summary>Raised when the process ends without being asked to: a crash.</summary>
    public event Action<int>? Exited;

    public void Start()
    {
        if (!File.Exists(_project.AssemblyPath))
        {
            throw new FileNotFoundException(
                $"{_project.AssemblyPath} is not built. Build the solution first (dotnet build Ovrsee.Aspire.sln).", _project.AssemblyPath);
        }

        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _project.OutputDirectory,
        };
        startInfo.ArgumentList.Add(_project.AssemblyPath);
        foreach (var (key, value) in _environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = UnixProcess.InOwnSession(startInfo), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Exited += (_, _) =>
        {
            if (!_stopRequested)
            {
                Exited?.Invoke(process.ExitCode);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Polls /health until it answers 200; fails fast if the process exits meanwhile.</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var client = new HttpClient { BaseAddress = HttpEndpoint, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is { HasExited: true } exited)
            {
                throw new InvalidOperationException(
                    $"{Name} exited with code {exited.ExitCode} before it was healthy. Last output:\n{string.Join('\n', RecentOutput().TakeLast(25))}");
            }
            try
            {
                using var response = await client.GetAsync("/health", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} was not healthy at {HttpEndpoint}health within {timeout.TotalSeconds:0}s. Last output:\n{string.Join('\n', RecentOutput().TakeLast(25))}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    public IReadOnlyList<string> RecentOutput()
    {
        lock (_recentOutput)
        {
            return [.. _recentOutput];
        }
    }

    /// <summary>SIGTERM lets ASP.NET Core drain requests; a process still there after the grace period is killed.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        var process = _process;
        _stopRequested = true;
        if (process is null || process.HasExited)
        {
            return;
        }
        UnixProcess.Signal(process.Id, UnixProcess.SigTerm);
        using var timeout = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGKILL, no shutdown: what a crash or an evicted container looks like to everyone else.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        _stopRequested = true;
        if (process is null || process.HasExited)
        {
            return;
        }
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_recentOutput)
        {
            _recentOutput.AddLast(line);
            if (_recentOutput.Count > 300)
            {
                _recentOutput.RemoveFirst();
            }
        }
        OutputReceived?.Invoke(line);
    }
}
