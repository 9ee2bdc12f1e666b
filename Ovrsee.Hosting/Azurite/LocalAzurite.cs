using System.Diagnostics;
using System.Net.Sockets;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Hosting.Azurite;

/// <summary>
/// Azurite, the official Azure Storage emulator, serving only its blob endpoint on 127.0.0.1
/// with data in a folder of its own: what Aspire's <c>AddAzureStorage().RunAsEmulator()</c> gives
/// with a container, without one. Run from the pinned npm package in <c>.ci/azurite</c>
/// (<c>npm ci --prefix .ci/azurite</c>), else from a global <c>azurite-blob</c> on the PATH.
/// </summary>
public sealed class LocalAzurite : IAsyncDisposable
{
    public const string Version = "3.37.0";

    /// <summary>Azurite's well-known development account. Public, the same on every machine: only for the emulator.</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly LinkedList<string> _recentOutput = new();

    private LocalAzurite(Process process, int port, string dataDirectory)
    {
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
    }

    public int Port { get; }
    public string DataDirectory { get; }
    public int ProcessId => _process.Id;
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>What the services get as <c>ConnectionStrings__recordings</c>: Aspire's shape for an emulated blob resource.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>The azurite-blob this machine would run, or null when neither the pinned copy nor a global one is installed.</summary>
    public static string? FindExecutable()
    {
        var pinned = Path.Combine(ServiceProject.RepositoryRoot, ".ci", "azurite", "node_modules", ".bin", "azurite-blob");
        if (File.Exists(pinned))
        {
            return pinned;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "azurite-blob"))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<LocalAzurite> StartAsync(string dataDirectory, int port = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            $"Azurite is not installed. Run 'npm ci --prefix .ci/azurite' (what .ci/run does) or 'npm install -g azurite@{Version}'.");
        Directory.CreateDirectory(dataDirectory);
        port = port != 0 ? port : LoopbackPort.Free();

        // Azurite runs under a shell that ends it when our end of its stdin closes, which happens
        // however we end (a test host killed after the run, a crashed AppHost): nothing outlives us.
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("\"$0\" \"$@\" </dev/null & child=$!; cat >/dev/null; kill $child 2>/dev/null; wait $child");
        startInfo.ArgumentList.Add(executable);
        // --disableTelemetry: nothing leaves the machine. --skipApiVersionCheck: the SDK may be newer than the emulator.
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", dataDirectory,
                     "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = UnixProcess.InOwnSession(startInfo) };
        var azurite = new LocalAzurite(process, port, dataDirectory);
        process.OutputDataReceived += (_, e) => azurite.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => azurite.Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await azurite.WaitUntilListeningAsync(timeout ?? TimeSpan.FromSeconds(90), cancellationToken);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} while starting:\n{string.Join('\n', RecentOutput())}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Azurite did not listen on 127.0.0.1:{Port} within {timeout.TotalSeconds:0} s:\n{string.Join('\n', RecentOutput())}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public IReadOnlyList<string> RecentOutput()
    {
        lock (_recentOutput)
        {
            return [.. _recentOutput];
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_recentOutput)
        {
            _recentOutput.AddLast(line);
            if (_recentOutput.Count > 50)
            {
                _recentOutput.RemoveFirst();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
        _process.Dispose();
    }
}
