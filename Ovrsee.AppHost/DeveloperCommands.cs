using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Ovrsee.Auth;
using Ovrsee.Simulator;

namespace Ovrsee.AppHost;

/// <summary>
/// The dev seed (a workspace, owner and number on a local database) and the dashboard's commands
/// on WebhookApi: "Mint dev token" and "Place a simulated call".
/// </summary>
internal static class DeveloperCommands
{
    private static readonly TimeSpan RecordingWait = TimeSpan.FromSeconds(60);

    public static IResourceBuilder<ProjectResource> WithDeveloperCommands(
        this IResourceBuilder<ProjectResource> webhookApi, ServiceSettings settings, OvrseeDatabase database)
    {
        var builder = webhookApi.ApplicationBuilder;
        if (database.IsLocal)
        {
            // Just before WebhookApi starts, once what it waits for (the migrations) is done: this event
            // is also where Aspire does that waiting, and handlers are not ordered.
            builder.Eventing.Subscribe<BeforeResourceStartedEvent>(webhookApi.Resource, async (@event, cancellationToken) =>
            {
                await @event.Services.GetRequiredService<ResourceNotificationService>().WaitForDependenciesAsync(webhookApi.Resource, cancellationToken);
                await DevSeed.ApplyAsync((await database.Resource.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken))!, cancellationToken);
            });
        }

        if (settings.JwtSecret is { } jwtSecret)
        {
            webhookApi.WithCommand("mint-dev-token", "Mint dev token", _ => Task.FromResult(CommandResults.Success(
                    $"Bearer token for the dev workspace owner ({DevSeed.OwnerUserId}), valid 12 hours.",
                    SupabaseStyleToken.Create(jwtSecret, DevSeed.OwnerUserId, TimeSpan.FromHours(12)), CommandResultFormat.Text)),
                new CommandOptions { IconName = "Key", Description = "A bearer token for the calls API, as 'dev-token' prints." });
        }

        webhookApi.WithCommand("place-simulated-call", "Place a simulated call", async context =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var endpoint = webhookApi.GetEndpoint("http");
            // Offline, the simulator is also Twilio's media host (as 'dotnet run --project Ovrsee.Simulator'):
            // the voicemail's audio is served here until WebhookApi's job has fetched it into its storage.
            await using var media = RecordingServer.Start();
            // One call at a person's pace: the caller listens 3 s before pressing 1, which leaves the
            // agent (on a busy laptop too) time to answer the key before the caller would hang up.
            var simulator = new TwilioSimulator(http, new SimulatorOptions
            {
                TargetBaseUrl = new Uri(endpoint.Url + "/"), AuthToken = settings.AuthToken, Recordings = media, StreamDuration = TimeSpan.FromSeconds(6),
            });
            try
            {
                var outcome = await simulator.PlaceCallAsync(SimulatedCall.Random(DevSeed.PhoneNumber, leavesVoicemail: true, Random.Shared), context.CancellationToken);
                var call = $"Call {outcome.Call.CallSid} to {DevSeed.PhoneNumber}: {string.Join(" → ", outcome.TwiMLVerbs)}; {outcome.FinalStatus}, {outcome.DurationSeconds}s";
                if (outcome.RecordingSid is not { } recordingSid)
                {
                    return CommandResults.Success(call + ".");
                }
                var fetched = await media.WaitForDownloadsAsync(RecordingWait) == media.Announced;
                return CommandResults.Success(fetched
                    ? $"{call}, voicemail {recordingSid}: its audio was fetched by WebhookApi's job, into its recording storage."
                    : $"{call}, voicemail {recordingSid}; its audio was not fetched within {RecordingWait.TotalSeconds:0} s (is WebhookApi's job runner on?).");
            }
            catch (Exception ex) when (ex is SimulatorException or HttpRequestException)
            {
                return CommandResults.Failure(ex.Message);
            }
        }, new CommandOptions
        {
            IconName = "Call",
            Description = "Plays Twilio: a signed call to the dev number, through the Media Stream to the workspace's agent, then a voicemail whose audio it serves until WebhookApi has stored it (as 'dotnet run --project Ovrsee.Simulator').",
            UpdateState = context => context.ResourceSnapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
        return webhookApi;
    }

    /// <summary>--configure-number &lt;phoneNumberId&gt;: once Provisioning is healthy, point that number at the public URL.</summary>
    public static IResourceBuilder<ProjectResource> WithConfigureNumber(
        this IResourceBuilder<ProjectResource> provisioning, AppHostSettings settings, ServiceSettings serviceSettings)
    {
        if (settings.ConfigureNumber is not { } phoneNumberId)
        {
            return provisioning;
        }
        var builder = provisioning.ApplicationBuilder;
        builder.Eventing.Subscribe<ResourceReadyEvent>(provisioning.Resource, async (_, cancellationToken) =>
        {
            var tunnel = builder.Resources.OfType<Tunnels.TunnelResource>().FirstOrDefault();
            var publicUrl = tunnel?.PublicUrl ?? builder.Configuration["Webhooks:PublicBaseUrl"] ?? builder.Configuration["NEXT_PUBLIC_APP_URL"];
            var token = SupabaseStyleToken.Create(serviceSettings.JwtSecret ?? "", DevSeed.OwnerUserId, TimeSpan.FromMinutes(5));
            await ConfigureNumber.RunAsync(phoneNumberId, provisioning.GetEndpoint("http").Url, publicUrl, token, cancellationToken);
        });
        return provisioning;
    }
}
