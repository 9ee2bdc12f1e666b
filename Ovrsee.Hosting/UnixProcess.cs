using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ovrsee.Hosting;

/// <summary>The two POSIX calls .NET's Process does not offer: who we are, and a signal other than SIGKILL.</summary>
public static partial class UnixProcess
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    public static bool IsRoot => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? geteuid() == 0 : false;

    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    public static bool IsAlive(int pid) => kill(pid, 0) == 0;

    /// <summary>
    /// Runs the program in a session of its own (util-linux setsid execs in place, so the pid
    /// stays the program's). Ctrl+C in a terminal signals the whole foreground process group;
    /// children outside it get only the signals the AppHost sends, in its order.
    /// </summary>
    public static ProcessStartInfo InOwnSession(ProcessStartInfo startInfo)
    {
        if (Setsid is null)
        {
            return startInfo;
        }
        startInfo.ArgumentList.Insert(0, startInfo.FileName);
        startInfo.FileName = Setsid;
        return startInfo;
    }

    private static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
