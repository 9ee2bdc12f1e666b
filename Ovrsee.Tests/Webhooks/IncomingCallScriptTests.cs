using System.Diagnostics;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

/// <summary>scripts/test-incoming-call.sh against the real WebhookApi: its call is answered and then completed.</summary>
[Trait("Category", "Slow")]
public class IncomingCallScriptTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    [Fact]
    public async Task The_script_prints_the_TwiML_and_completes_its_call()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        const string number = "+15005550006";
        await Seed.PhoneNumberAsync(api.Admin, workspace, number);

        var start = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "scripts", "test-incoming-call.sh"), "--to", number, "--url", api.Service.HttpEndpoint.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        start.Environment["TWILIO_AUTH_TOKEN"] = TestServiceEnvironment.AuthToken;
        using var script = Process.Start(start)!;
        var output = script.StandardOutput.ReadToEndAsync();
        var errors = script.StandardError.ReadToEndAsync();
        await script.WaitForExitAsync();

        Assert.True(script.ExitCode == 0, $"exit {script.ExitCode}: {await errors}");
        Assert.Contains("<Response>", await output);
        var (status, ended) = await CallAsync(workspace);
        Assert.Equal("completed", status);
        Assert.NotNull(ended);
        Assert.True(ended <= DateTime.UtcNow.AddSeconds(5), $"endedAt {ended:O} is in the future");
    }

    private async Task<(string? Status, DateTime? EndedAt)> CallAsync(Guid workspace)
    {
        var status = await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE workspace_id = $1", workspace);
        var ended = await Seed.ScalarAsync<DateTime?>(api.Admin, "SELECT ended_at FROM call_logs WHERE workspace_id = $1", workspace);
        return (status, ended);
    }
}
