using System.Diagnostics;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// Runs a helper process (Prism, through npx or node) so that it cannot outlive the test process,
/// however that ends: a bash wrapper starts it in a process group of its own and, as soon as the
/// test process is gone (exit, crash, <c>kill -9</c>, a runner's hang timeout), ends that whole
/// group: npx's node children included. <c>AppDomain.ProcessExit</c> alone runs only on a clean exit.
/// </summary>
public static class ParentWatchdog
{
    // $1: the pid to outlive nobody; the rest: the command. `set -m` gives the background job a
    // process group of its own (pgid = its pid), so one kill reaches every descendant.
    private const string Script = """
        parent=$1; shift
        set -m
        "$@" &
        child=$!
        stop() { kill -TERM -- -"$child" 2>/dev/null; sleep 1; kill -KILL -- -"$child" 2>/dev/null; }
        trap 'stop; exit 0' TERM INT HUP
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
        stop
        """;

    /// <summary>Start info that runs <paramref name="program"/> with <paramref name="arguments"/> under the watchdog.</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments, int? parentPid = null)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", Script, "ovrsee-watchdog", (parentPid ?? Environment.ProcessId).ToString(), program },
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }
}
