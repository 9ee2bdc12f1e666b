namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// A stand-in for a tunnel CLI (cloudflared, ngrok): a shell script under the real name, put first
/// on the AppHost's PATH, that prints a public URL the way the real one does, records its
/// arguments and then waits to be stopped, as the real one would.
/// </summary>
public sealed class StandInTunnel : IDisposable
{
    private StandInTunnel(string directory) => Directory = directory;

    public string Directory { get; }
    public string Arguments => File.ReadAllText(Path.Combine(Directory, "arguments")).Trim();

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    public static StandInTunnel Create(string executable, string printedLine, bool toStandardError)
    {
        var directory = TestPostgres.NewRootDirectory("tunnel");
        var script = Path.Combine(directory, executable);
        File.WriteAllText(script, $"""
            #!/bin/sh
            printf '%s\n' "$*" > "{directory}/arguments"
            cat <<'LINE' {(toStandardError ? ">&2" : "")}
            {printedLine}
            LINE
            exec sleep 600
            """ + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new StandInTunnel(directory);
    }
}
