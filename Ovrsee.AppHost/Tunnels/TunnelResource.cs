using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ovrsee.AppHost.Tunnels;

/// <summary>
/// A tunnel CLI (cloudflared, ngrok, devtunnel) in front of WebhookApi, run by the orchestrator.
/// Healthy once it has printed its public URL, which then shows in the dashboard and becomes both
/// services' Webhooks:PublicBaseUrl (Aspire.Hosting.DevTunnels is not available to us).
/// </summary>
internal sealed class TunnelResource(string name, TunnelProvider provider, string command)
    : ExecutableResource(name, command, Environment.CurrentDirectory)
{
    private readonly TaskCompletionSource<string> _publicUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TunnelProvider Provider { get; } = provider;
    public string? PublicUrl => _publicUrl.Task.IsCompletedSuccessfully ? _publicUrl.Task.Result : null;

    internal bool TryReadPublicUrl(string line) =>
        Provider.TryReadPublicUrl(line) is { } url && _publicUrl.TrySetResult(url.TrimEnd('/'));
}

internal static class TunnelResourceExtensions
{
    public static IResourceBuilder<IResource> AddTunnel(
        this IDistributedApplicationBuilder builder, string name, TunnelProvider provider, IResourceBuilder<ProjectResource> target)
    {
        if (FindOnPath(provider.Executable) is not { } command)
        {
            // Missing CLI: the resource fails with the install hint; the rest runs without a public URL.
            var hint = $"'{provider.Executable}' is not installed (not found on PATH). {provider.InstallHint} Or run your own tunnel and pass its URL with --public-url.";
            Console.Error.WriteLine($"--tunnel {provider.Name}: {hint}");
            return builder.AddResource<IResource>(new MissingTunnelResource(name))
                .WithInitialState(new CustomResourceSnapshot
                {
                    ResourceType = "Tunnel",
                    State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                    Properties = [new("tunnel.error", hint)],
                })
                .ExcludeFromManifest();
        }

        var tunnel = new TunnelResource(name, provider, command);
        var healthCheckKey = $"{name}_public_url";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, () => tunnel.PublicUrl is null
            ? HealthCheckResult.Unhealthy($"{provider.Executable} has not printed a public URL yet.")
            : HealthCheckResult.Healthy(tunnel.PublicUrl));

        var endpoint = target.GetEndpoint("http");
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(tunnel, (@event, cancellationToken) =>
        {
            var logs = @event.Services.GetRequiredService<ResourceLoggerService>();
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            _ = Task.Run(async () =>
            {
                await foreach (var batch in logs.WatchAsync(tunnel).WithCancellation(CancellationToken.None))
                {
                    if (batch.Any(line => tunnel.TryReadPublicUrl(line.Content)))
                    {
                        await notifications.PublishUpdateAsync(tunnel, state => state with { Urls = [.. state.Urls, new("public", tunnel.PublicUrl!, IsInternal: false)] });
                        return;
                    }
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        });

        return builder.AddResource(tunnel)
            .WithArgs(context =>
            {
                foreach (var argument in provider.Arguments(endpoint.Port))
                {
                    context.Args.Add(argument);
                }
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest()
            .AsResource();
    }

    /// <summary>The service waits for the tunnel and gets its URL as Webhooks:PublicBaseUrl (over any configured one).</summary>
    public static IResourceBuilder<ProjectResource> WithPublicUrlOf(this IResourceBuilder<ProjectResource> service, IResourceBuilder<IResource> tunnel)
    {
        if (tunnel.Resource is not TunnelResource running)
        {
            return service;
        }
        return service.WaitFor(tunnel).WithEnvironment(context =>
        {
            context.EnvironmentVariables["Webhooks__PublicBaseUrl"] = running.PublicUrl!;
        });
    }

    private static IResourceBuilder<IResource> AsResource<T>(this IResourceBuilder<T> builder) where T : IResource =>
        builder.ApplicationBuilder.CreateResourceBuilder<IResource>(builder.Resource);

    private static string? FindOnPath(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, executable))
            .FirstOrDefault(File.Exists);

    private sealed class MissingTunnelResource(string name) : Resource(name);
}
