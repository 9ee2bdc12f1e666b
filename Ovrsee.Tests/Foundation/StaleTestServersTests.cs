using System.Diagnostics;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Foundation;

/// <summary>
/// A killed test run leaves its PostgreSQL server running (TestPostgres stops it on ProcessExit
/// only); the next run stops it. Checked with a real server in a folder named for a run whose
/// process has ended, next to folders of this live run, which must stay.
/// </summary>
public class StaleTestServersTests
{
    [Fact]
    public async Task A_server_whose_test_run_is_gone_is_stopped_and_its_folders_removed_and_a_live_runs_kept()
    {
        using (var ended = Process.Start("true")!)
        {
            await ended.WaitForExitAsync();
            var gone = ended.Id;
            var tests = Path.Combine(Path.GetTempPath(), "ovrsee-stale-tests-" + Guid.NewGuid().ToString("N"));
            var goneServer = Directory.CreateDirectory(Path.Combine(tests, $"pg-{gone}-{Guid.NewGuid():N}")).FullName;
            var goneRecordings = Directory.CreateDirectory(Path.Combine(tests, $"recordings-{gone}-{Guid.NewGuid():N}")).FullName;
            var ours = Directory.CreateDirectory(Path.Combine(tests, $"pg-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
            var notARun = Directory.CreateDirectory(Path.Combine(tests, "notes")).FullName;
            await using var server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions { RootDirectory = goneServer, Ephemeral = true });
            var postmaster = server.ProcessId!.Value;
            Assert.True(UnixProcess.IsAlive(postmaster));

            var stopped = await StaleTestServers.StopAsync(tests);

            Assert.Equal(1, stopped);
            Assert.False(UnixProcess.IsAlive(postmaster));
            Assert.False(Directory.Exists(goneServer));
            Assert.False(Directory.Exists(goneRecordings));
            Assert.True(Directory.Exists(ours));
            Assert.True(Directory.Exists(notARun));
            Directory.Delete(tests, recursive: true);
        }
    }
}
