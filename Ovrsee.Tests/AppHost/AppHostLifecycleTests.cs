using System.Text.RegularExpressions;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.AppHost;

public class AppHostLifecycleTests
{
    private const string PublicUrl = "https://stand-in-1234.ngrok-free.app";

    [Fact]
    public async Task Sigterm_stops_services_tunnel_and_postgres_in_reverse_order_and_leaves_no_process()
    {
        using var ngrok = StandInTunnel.Create("ngrok",
            $$"""{"addr":"http://127.0.0.1:5180","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-01-01T00:00:00Z","url":"{{PublicUrl}}"}""",
            toStandardError: false);
        await using var appHost = await AppHostProcess.StartAsync(["--tunnel", "ngrok"], prependToPath: ngrok.Directory);
        Assert.Equal(PublicUrl, appHost.State.GetProperty("publicBaseUrl").GetString());
        var children = appHost.Descendants();
        Assert.Contains(appHost.ResourcePid("tunnel"), children);
        Assert.Contains(appHost.ResourcePid("postgres"), children);

        var (exitCode, elapsed) = await appHost.TerminateAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"Stopping took {elapsed.TotalSeconds:0.0}s:\n{appHost.Output}");
        var survivors = children.Where(AppHostProcess.IsRunning).Select(pid => $"{pid}: {AppHostProcess.CommandLine(pid)}").ToList();
        Assert.True(survivors.Count == 0, "Still running after the AppHost exited:\n" + string.Join('\n', survivors));
        Assert.False(File.Exists(appHost.StateFilePath), "state.json should go with the AppHost");
        var output = appHost.Output;
        Assert.True(Position(output, "webhookapi", "stopped") < Position(output, "tunnel", "stopping"), output);
        Assert.True(Position(output, "provisioning", "stopped") < Position(output, "ovrsee", "stopping"), output);
        Assert.True(Position(output, "ovrsee", "stopped") < Position(output, "postgres", "stopping"), output);
    }

    private static int Position(string output, string resource, string status) =>
        Regex.Match(output, $@"\b{resource}\s+{status}\b") is { Success: true } match ? match.Index : throw new Xunit.Sdk.XunitException($"'{resource} {status}' not in:\n{output}");
}
