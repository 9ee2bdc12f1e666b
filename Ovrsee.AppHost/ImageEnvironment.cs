using Aspire.Hosting.ApplicationModel;
using Ovrsee.Hosting.Services;

namespace Ovrsee.AppHost;

internal static class ImageEnvironment
{
    /// <summary>
    /// What the project's container image sets in its environment (ContainerEnvironmentVariable in
    /// its csproj: the WebhookApi's inline socket completions, #15), so it runs here as deployed.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithImageEnvironment(this IResourceBuilder<ProjectResource> service)
    {
        foreach (var (variable, value) in ServiceProject.ImageEnvironmentOf(service.Resource.GetProjectMetadata().ProjectPath))
        {
            service.WithEnvironment(variable, value);
        }
        return service;
    }
}
