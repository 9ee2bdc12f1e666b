using System.Diagnostics;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// Stoplight Prism serving Twilio's OpenAPI description as a validating mock: one instance for the
/// whole test run (it takes seconds to load the 1.5 MB description), started on first use on a
/// free port under a <see cref="ParentWatchdog"/>, so it ends with the test process however that ends. <c>--errors</c> turns an invalid request into
/// a 401/415/422 instead of an answer; <c>--dynamic</c> answers from the schemas, because several
/// of the description's own examples break its schemas and would come back as 500s.
/// </summary>
public sealed class PrismServer
{
    public const string Version = "5.16.0";
    private static readonly Lazy<Task<PrismServer>> Shared = new(StartAsync);

    private PrismServer(Uri baseUrl, TimeSpan startupTime, string launcher)
    {
        BaseUrl = baseUrl;
        StartupTime = startupTime;
        Launcher = launcher;
    }

    public Uri BaseUrl { get; }

    /// <summary>From process start to the first answer.</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>The pinned binary from .ci/prism, or npx.</summary>
    public string Launcher { get; }

    public static string SpecPath => Path.Combine(ServiceProject.RepositoryRoot, "contracts", "twilio", "twilio_api_v2010.yaml");

    public static Task<PrismServer> GetAsync() => Shared.Value;

    private static async Task<PrismServer> StartAsync()
    {
        var port = LoopbackPort.Free();
        var local = Path.Combine(ServiceProject.RepositoryRoot, ".ci", "prism", "node_modules", ".bin", "prism");
        string[] mock = ["mock", "--errors", "--dynamic", "-h", "127.0.0.1", "-p", port.ToString(), SpecPath];
        var startInfo = File.Exists(local)
            ? ParentWatchdog.StartInfo(local, mock)
            : ParentWatchdog.StartInfo("npx", ["--yes", $"@stoplight/prism-cli@{Version}", .. mock]);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;

        var output = new Queue<string>();
        void Remember(string? line)
        {
            if (line is null) return;
            lock (output)
            {
                output.Enqueue(line);
                if (output.Count > 40) output.Dequeue();
            }
        }

        var stopwatch = Stopwatch.StartNew();
        var process = new Process { StartInfo = startInfo };
        // Prism logs every request; the last lines are kept for a start-up failure message.
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Prism could not be started ({startInfo.FileName}: {ex.Message}). Install it with " +
                "'npm ci --prefix .ci/prism' (what .ci/run does), or make npx available.", ex);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            // On a clean exit, at once; otherwise the watchdog notices within half a second.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        };

        var baseUrl = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(2) };
        // npx may have to download Prism first, hence the generous limit.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Prism exited with code {process.ExitCode} while starting:\n{string.Join('\n', Snapshot())}");
            }
            try
            {
                // Any answer (Prism says 404 "no path matched" to /) means it is serving.
                using var response = await probe.GetAsync("/");
                return new PrismServer(baseUrl, stopwatch.Elapsed, File.Exists(local) ? local : "npx");
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prism did not answer on {baseUrl} within 180 s:\n{string.Join('\n', Snapshot())}");
            }
            await Task.Delay(100);
        }

        string[] Snapshot()
        {
            lock (output)
            {
                return [.. output];
            }
        }
    }
}
