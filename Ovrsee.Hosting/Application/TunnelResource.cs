using System.Diagnostics;
using Ovrsee.Hosting.Tunnels;

namespace Ovrsee.Hosting.Application;

/// <summary>A tunnel CLI run as a child process; healthy once it has printed its public URL.</summary>
public sealed class TunnelResource(string name, TunnelProvider provider, ProjectResource target) : Resource(name, "tunnel")
{
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private volatile bool _stopRequested;

    public TunnelProvider Provider { get; } = provider;
    public ProjectResource Target { get; } = target;
    public string? PublicUrl => _url.Task.IsCompletedSuccessfully ? _url.Task.Result : null;
    public override int? ProcessId => _process?.Id;
    public override IReadOnlyList<string> Endpoints => PublicUrl is null ? [] : [PublicUrl];
    public TimeSpan UrlTimeout { get; set; } = TimeSpan.FromSeconds(30);

    protected internal override async Task StartAsync(CancellationToken cancellationToken)
    {
        var executable = FindOnPath(Provider.Executable) ?? throw new InvalidOperationException(
            $"--tunnel {Provider.Name}: '{Provider.Executable}' is not installed (not found on PATH). {Provider.InstallHint} " +
            "Or run your own tunnel and pass its URL with --public-url.");

        var startInfo = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Provider.Arguments(Target.HttpEndpoint.Port))
        {
            startInfo.ArgumentList.Add(argument);
        }
        Console.Append($"[apphost] {Provider.Executable} {string.Join(' ', startInfo.ArgumentList)}");
        var process = new Process { StartInfo = UnixProcess.InOwnSession(startInfo), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.Exited += (_, _) =>
        {
            if (_stopRequested)
            {
                return;
            }
            _url.TrySetException(new InvalidOperationException(
                $"{Provider.Executable} exited with code {process.ExitCode} before printing a public URL. Last output:\n{string.Join('\n', Console.Tail(15))}"));
            MarkFailed($"{Provider.Executable} exited with code {process.ExitCode}", process.ExitCode);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        try
        {
            await _url.Task.WaitAsync(UrlTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Provider.Executable} printed no public URL within {UrlTimeout.TotalSeconds:0}s. Last output:\n{string.Join('\n', Console.Tail(15))}");
        }
    }

    protected internal override async Task StopAsync()
    {
        _stopRequested = true;
        if (_process is not { HasExited: false } process)
        {
            return;
        }
        UnixProcess.Signal(process.Id, UnixProcess.SigTerm);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    protected internal override Task<HealthStatus> ProbeHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_process is { HasExited: false } ? HealthStatus.Healthy : HealthStatus.Unhealthy);

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }
        Console.Append(line);
        if (Provider.TryReadPublicUrl(line) is { } url)
        {
            _url.TrySetResult(url.TrimEnd('/'));
        }
    }

    private static string? FindOnPath(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, executable))
            .FirstOrDefault(File.Exists);
}
