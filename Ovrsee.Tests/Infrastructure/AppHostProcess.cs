using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// The real AppHost, run as a developer runs it (dotnet Ovrsee.AppHost.dll), on free ports with a
/// state folder of its own, so it never touches a developer's .ovrsee/ or default ports.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    public const string AuthToken = "apphost-test-auth-token-0000000000";
    private static readonly ServiceProject AppHost = new("apphost", Path.Combine(ServiceProject.RepositoryRoot, "Ovrsee.AppHost"), "Ovrsee.AppHost");
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppHostProcess(Process process, string stateDirectory, int dashboardPort)
    {
        _process = process;
        StateDirectory = stateDirectory;
        Dashboard = new Uri($"http://127.0.0.1:{dashboardPort}/");
    }

    public string StateDirectory { get; }
    public Uri Dashboard { get; }
    public int ProcessId => _process.Id;
    public JsonElement State { get; private set; }
    public string StateFilePath => Path.Combine(StateDirectory, "state.json");

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <param name="arguments">Extra command-line options (e.g. --tunnel cloudflared).</param>
    /// <param name="prependToPath">A folder searched first for executables (stand-in tunnel CLIs).</param>
    public static async Task<AppHostProcess> StartAsync(IEnumerable<string>? arguments = null, string? prependToPath = null)
    {
        var stateDirectory = TestPostgres.NewRootDirectory("apphost");
        var dashboardPort = LoopbackPort.Free();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppHost.OutputDirectory,
        };
        foreach (var argument in (string[])[
            AppHost.AssemblyPath, "--state-dir", stateDirectory, "--dashboard-port", dashboardPort.ToString(),
            "--webhookapi-port", LoopbackPort.Free().ToString(), "--provisioning-port", LoopbackPort.Free().ToString(),
            "--postgres-port", LoopbackPort.Free().ToString(), "--Postgres:Ephemeral=true",
            $"--Twilio:AuthToken={AuthToken}", $"--Twilio:AccountSid={TwilioForms.AccountSid}", .. (arguments ?? [])])
        {
            startInfo.ArgumentList.Add(argument);
        }
        if (prependToPath is not null)
        {
            startInfo.Environment["PATH"] = prependToPath + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        }

        var process = new Process { StartInfo = startInfo };
        var host = new AppHostProcess(process, stateDirectory, dashboardPort);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // PostgreSQL's initdb and three services on a busy 2-core machine: minutes, not seconds.
            await host.WaitForStateFileAsync(TimeSpan.FromSeconds(300));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private async Task WaitForStateFileAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(StateFilePath) || !Output.Contains("Ovrsee is running"))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with code {_process.ExitCode} before it was ready:\n{Output}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The AppHost was not ready within {timeout.TotalSeconds:0}s:\n{Output}");
            }
            await Task.Delay(100);
        }
        State = JsonDocument.Parse(await File.ReadAllTextAsync(StateFilePath)).RootElement.Clone();
    }

    public int ResourcePid(string name) =>
        State.GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name).GetProperty("pid").GetInt32();

    /// <summary>Every process below the AppHost now (services, PostgreSQL and its backends, a tunnel), from /proc.</summary>
    public IReadOnlyList<int> Descendants()
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ReadStat(pid) is { } stat)
            {
                parents[pid] = stat.ParentPid;
            }
        }
        var found = new List<int>();
        var frontier = new Queue<int>([ProcessId]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }
        return found;
    }

    /// <summary>Alive means present and not a zombie waiting for init to reap it.</summary>
    public static bool IsRunning(int pid) => ReadStat(pid) is { State: not 'Z' };

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "(gone)";
        }
    }

    /// <summary>SIGTERM, as a service manager or 'kill' sends; returns the exit code and how long stopping took.</summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> TerminateAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        UnixProcess.Signal(ProcessId, UnixProcess.SigTerm);
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return (_process.ExitCode, stopwatch.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            UnixProcess.Signal(ProcessId, UnixProcess.SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in the temp folder; not worth failing a test over.
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1]));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
