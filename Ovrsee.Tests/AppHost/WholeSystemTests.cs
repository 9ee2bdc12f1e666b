using System.Net;
using System.Xml.Linq;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Voicemail;

namespace Ovrsee.Tests.AppHost;

/// <summary>The whole system as the AppHost declares it, through Aspire's testing builder.</summary>
[Collection(AppHostCollection.Name)]
[Trait("Category", "Slow")]
public class WholeSystemTests(AppHostFixture system)
{
    private const string Caller = "+14155550100";

    [Fact]
    public async Task Every_resource_is_up_and_migrate_ran_to_completion()
    {
        foreach (var name in new[] { "postgres", "ovrsee", "webhookapi", "provisioning" })
        {
            Assert.True(system.App.ResourceNotifications.TryGetCurrentState(name, out var resource), name);
            Assert.Equal(KnownResourceStates.Running, resource!.Snapshot.State?.Text);
            Assert.Equal(HealthStatus.Healthy, resource.Snapshot.HealthStatus);
        }
        Assert.True(system.App.ResourceNotifications.TryGetCurrentState("migrate", out var migrate));
        Assert.Equal(KnownResourceStates.Finished, migrate!.Snapshot.State?.Text);
        Assert.Equal(0, migrate.Snapshot.ExitCode);

        // The services log in as ovrsee_app, which row-level security applies to, not as the superuser.
        Assert.True(await Seed.ScalarAsync<long>(system.AdminConnectionString, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'ovrsee_app'") > 0);
        Assert.False(await Seed.ScalarAsync<bool>(system.AdminConnectionString, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'ovrsee_app'"));
    }

    [Fact]
    public async Task A_signed_incoming_call_and_its_completion_are_recorded_for_the_numbers_workspace()
    {
        var workspace = await Seed.WorkspaceAsync(system.AdminConnectionString);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(system.AdminConnectionString, workspace, number);
        var callSid = Seed.NewCallSid();
        using var twilio = new TwilioWebhookClient(system.WebhookApi, AppHostFixture.AuthToken);

        var answer = await twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, Caller, number));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.NotNull(XDocument.Parse(await answer.Content.ReadAsStringAsync()).Root!.Element("Record"));
        var completed = await twilio.PostAsync("/api/aloha/webhooks/call-status",
            TwilioForms.Status(callSid, Caller, number, "completed", sequence: 3, DateTimeOffset.UtcNow, duration: 42));
        Assert.Equal(HttpStatusCode.NoContent, completed.StatusCode);

        var member = Guid.NewGuid();
        await Seed.MemberAsync(system.AdminConnectionString, workspace, member);
        using var api = system.App.CreateHttpClient("webhookapi", "http");
        var token = CallsApiClient.TokenFor(member, secret: AppHostFixture.JwtSecret);
        var page = await CallsApiClient.JsonAsync(await CallsApiClient.GetAsync(api, "/api/aloha/calls", token));
        var call = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(callSid, call.GetProperty("callSid").GetString());
        Assert.Equal("completed", call.GetProperty("status").GetString());
        Assert.Equal(42, call.GetProperty("durationSeconds").GetInt32());

        using var provisioning = system.App.CreateHttpClient("provisioning", "http");
        Assert.Equal(HttpStatusCode.OK, (await provisioning.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public void The_local_folder_recording_storage_is_shown_in_the_dashboard()
    {
        // This AppHost runs with --recordings-storage folder: a "recordings" resource says so, with the folder.
        Assert.True(system.App.ResourceNotifications.TryGetCurrentState("recordings", out var recordings));
        Assert.Equal("Local folder", recordings!.Snapshot.State?.Text);
        var properties = recordings.Snapshot.Properties.ToDictionary(p => p.Name, p => p.Value?.ToString());
        Assert.Equal(Path.Combine(system.StateDirectory, "recordings"), properties["recordings.folder"]);
        Assert.False(system.App.ResourceNotifications.TryGetCurrentState("azurite", out _));

        Assert.True(system.App.ResourceNotifications.TryGetCurrentState("webhookapi", out var webhookApi));
        var environment = webhookApi!.Snapshot.EnvironmentVariables.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("LocalFolder", environment["Recordings__Storage"]);
        Assert.Equal(Path.Combine(system.StateDirectory, "recordings"), environment["Recordings__Directory"]);
        Assert.False(environment.ContainsKey("ConnectionStrings__recordings"));
    }

    [Fact]
    public void The_WebhookApi_process_runs_socket_completions_inline_as_its_image_does()
    {
        Assert.True(system.App.ResourceNotifications.TryGetCurrentState("webhookapi", out var webhookApi));
        var environment = webhookApi!.Snapshot.EnvironmentVariables.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("1", environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"]);

        // The process itself, not only the model: the runtime reads its own environment.
        var pid = webhookApi.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value?.ToString();
        var processEnvironment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
        Assert.Contains("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1", processEnvironment);
    }

    [Fact]
    public void Reconcile_now_is_offered_but_off_without_a_Twilio_account()
    {
        Assert.True(system.App.ResourceNotifications.TryGetCurrentState("webhookapi", out var webhookApi));
        var reconcile = Assert.Single(webhookApi!.Snapshot.Commands, c => c.Name == "reconcile-now");
        Assert.Equal(ResourceCommandState.Disabled, reconcile.State);
        Assert.Contains("TWILIO_ACCOUNT_SID", reconcile.DisplayDescription);
    }

    [Fact]
    public async Task The_mint_dev_token_command_gives_a_token_the_calls_api_accepts()
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync("webhookapi", "mint-dev-token");
        Assert.True(result.Success, result.Message);

        using var api = system.App.CreateHttpClient("webhookapi", "http");
        var response = await CallsApiClient.GetAsync(api, "/api/aloha/calls", result.Data!.Value);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_place_a_simulated_call_command_reaches_the_aloha_stream_out_of_the_box()
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync("webhookapi", "place-simulated-call");
        Assert.True(result.Success, result.Message);

        // "Call CA… to +15005550006: Connect → Stream(sent …, agent …, pressed 1, agent ended it) → Say → Record → …"
        // Whole message on failure: Assert.Contains would cut it before the path.
        Assert.True(result.Message!.Contains(": Connect → Stream(", StringComparison.Ordinal), result.Message);
        Assert.True(result.Message.Contains("pressed 1, agent ended it) → Say → Record", StringComparison.Ordinal), result.Message);
        var callSid = System.Text.RegularExpressions.Regex.Match(result.Message!, @"Call (CA[0-9a-f]{32})").Groups[1].Value;
        Assert.True(await Eventually.TrueAsync(async () => await Seed.ScalarAsync<string>(system.AdminConnectionString,
            "SELECT payload->>'agent' FROM call_events WHERE call_sid = $1 AND kind = 'agent-connected'", callSid) == "builtin", TimeSpan.FromSeconds(60)));
    }
}
