using System.Diagnostics;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>
/// Prism runs under <see cref="ParentWatchdog"/> so it never outlives the test run. Checked with a
/// stand-in: a process tree like npx → node, whose "test process" is killed with SIGKILL (no
/// ProcessExit handler runs), must be gone afterwards, grandchild included.
/// </summary>
public class PrismWatchdogTests
{
    [Fact]
    public async Task The_whole_tree_ends_when_the_parent_is_killed_hard()
    {
        using var parent = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var startInfo = ParentWatchdog.StartInfo("bash", ["-c", "sleep 600 & echo $$ $!; wait"], parent.Id);
        startInfo.RedirectStandardOutput = true;
        using var watchdog = Process.Start(startInfo)!;
        var pids = (await watchdog.StandardOutput.ReadLineAsync())!.Split(' ').Select(int.Parse).ToArray();
        Assert.Equal(2, pids.Length);
        Assert.All(pids, pid => Assert.True(IsAlive(pid), $"{pid} should run while its parent does"));

        parent.Kill(); // SIGKILL: nothing in the parent gets to clean up

        // A bounded wait for an event, not a timing assertion: the watchdog polls every 0.5 s.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (pids.Any(IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"{pid} outlived its parent"));
        await watchdog.WaitForExitAsync();
    }

    [Fact]
    public void Prism_itself_is_started_under_the_watchdog()
    {
        var startInfo = ParentWatchdog.StartInfo("prism", ["mock"]);
        Assert.Equal("bash", startInfo.FileName);
        Assert.Equal(Environment.ProcessId.ToString(), startInfo.ArgumentList[3]);
        Assert.Equal(["prism", "mock"], startInfo.ArgumentList.Skip(4));
    }

    // A zombie (exited, not yet reaped) counts as gone.
    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');
}
