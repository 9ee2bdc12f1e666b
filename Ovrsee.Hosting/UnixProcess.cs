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

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
