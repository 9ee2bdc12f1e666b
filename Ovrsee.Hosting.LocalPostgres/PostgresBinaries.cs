using System.Diagnostics;

namespace Aspire.Hosting.LocalPostgres;

public sealed class PostgresNotFoundException(string message) : Exception(message);

/// <summary>Finds initdb and postgres: configured folder, PATH, pg_config --bindir, /usr/lib/postgresql/*/bin.</summary>
public static class PostgresBinaries
{
    public static string Find(string? configuredDirectory = null)
    {
        foreach (var candidate in Candidates(configuredDirectory))
        {
            if (File.Exists(Path.Combine(candidate, "initdb")) && File.Exists(Path.Combine(candidate, "postgres")))
            {
                return candidate;
            }
        }

        throw new PostgresNotFoundException("""
            PostgreSQL server binaries (initdb, postgres) were not found on PATH, through pg_config, or under /usr/lib/postgresql/*/bin.
            Install them, or point Ovrsee at an existing server instead:
              Debian/Ubuntu:  sudo apt-get install -y postgresql        (binaries land in /usr/lib/postgresql/<version>/bin)
              macOS:          brew install postgresql@16                (then add $(brew --prefix postgresql@16)/bin to PATH)
              Windows:        winget install PostgreSQL.PostgreSQL.16   (add its bin folder to PATH)
              Elsewhere:      give AddLocalPostgres the folder holding initdb and postgres (binDirectory)
              Or use a container or an existing server instead.
            """);
    }

    private static IEnumerable<string> Candidates(string? configuredDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configuredDirectory))
        {
            yield return configuredDirectory;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            yield return ResolveLinkedDirectory(directory);
        }

        var fromPgConfig = TryPgConfigBinDir();
        if (fromPgConfig is not null)
        {
            yield return fromPgConfig;
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            foreach (var versionDirectory in Directory.GetDirectories("/usr/lib/postgresql")
                         .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            {
                yield return Path.Combine(versionDirectory, "bin");
            }
        }
    }

    // Debian links /usr/local/bin/postgres into /usr/lib/postgresql/N/bin; initdb finds its
    // sibling programs relative to its real location, so use the folder the link points into.
    private static string ResolveLinkedDirectory(string directory)
    {
        var postgres = new FileInfo(Path.Combine(directory, "postgres"));
        if (postgres.Exists && postgres.LinkTarget is not null)
        {
            var target = postgres.ResolveLinkTarget(returnFinalTarget: true);
            if (target?.Exists == true && Path.GetDirectoryName(target.FullName) is { } real)
            {
                return real;
            }
        }
        return directory;
    }

    private static string? TryPgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(5000);
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
