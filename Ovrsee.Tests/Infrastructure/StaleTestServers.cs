using System.Globalization;
using System.Text.RegularExpressions;
using Ovrsee.Hosting;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// Stops what test runs that are gone left behind. TestPostgres stops its server on ProcessExit,
/// which does not run when the test host is killed (a runner's timeout, Ctrl+C, kill -9): the
/// postmaster then lives on, reparented, holding its port and memory, and its folder stays. The next
/// run stops the servers whose test process no longer exists (every folder's name carries the pid of
/// the run that made it) and removes those runs' folders. A live run's folders are never touched.
/// </summary>
public static partial class StaleTestServers
{
    // PostgreSQL's immediate shutdown: a test database is not worth a checkpoint.
    private const int SigQuit = 3;

    /// <returns>How many servers were stopped.</returns>
    public static async Task<int> StopAsync(string testsDirectory)
    {
        if (!Directory.Exists(testsDirectory))
        {
            return 0;
        }
        var stopped = 0;
        foreach (var folder in Directory.EnumerateDirectories(testsDirectory))
        {
            if (RunFolder().Match(Path.GetFileName(folder)) is not { Success: true } name
                || !int.TryParse(name.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                || owner == Environment.ProcessId || UnixProcess.IsAlive(owner))
            {
                continue;
            }
            if (PostmasterOf(folder) is { } postmaster)
            {
                UnixProcess.Signal(postmaster, SigQuit);
                for (var i = 0; i < 100 && UnixProcess.IsAlive(postmaster); i++)
                {
                    await Task.Delay(100);
                }
                stopped++;
            }
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return stopped;
    }

    // The server's pid from its postmaster.pid, if that process is still this folder's postmaster
    // (a pid can be reused: the process's command line must name the folder).
    private static int? PostmasterOf(string folder)
    {
        try
        {
            var pidFile = Path.Combine(folder, "data", "postmaster.pid");
            if (!File.Exists(pidFile)
                || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !UnixProcess.IsAlive(pid))
            {
                return null;
            }
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(folder + "/", StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // What TestPostgres.NewRootDirectory names a folder: {purpose}-{pid}-{guid}.
    [GeneratedRegex("^[a-z-]+-(?<pid>[0-9]{1,9})-[0-9a-f]{32}$")]
    private static partial Regex RunFolder();
}
