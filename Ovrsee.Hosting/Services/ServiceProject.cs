using System.Reflection;
using System.Xml.Linq;

namespace Ovrsee.Hosting.Services;

/// <summary>
/// A service project of this repository and its build output. Plays the part of Aspire's
/// generated Projects.* metadata: the AppHost and the tests run the built service directly.
/// </summary>
public sealed record ServiceProject(string Name, string ProjectDirectory, string AssemblyName)
{
    // Declared first: the static properties below are initialised in order and need it.
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static ServiceProject WebhookApi { get; } = InRepository("webhookapi", "Ovrsee.WebhookApi");
    public static ServiceProject Provisioning { get; } = InRepository("provisioning", "Ovrsee.Provisioning");

    // Built alongside this assembly, so Debug runs Debug and Release runs Release.
    private static readonly string Configuration =
        typeof(ServiceProject).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public string OutputDirectory => Path.Combine(ProjectDirectory, "bin", Configuration, "net10.0");
    public string AssemblyPath => Path.Combine(OutputDirectory, AssemblyName + ".dll");

    /// <summary>
    /// What the service's container image sets in its environment: the ContainerEnvironmentVariable
    /// items of its csproj, read from there so that the service run from its build (by the AppHost,
    /// the tests or the benchmarks) runs as its image does. Empty where the csproj is not at hand.
    /// </summary>
    public IReadOnlyDictionary<string, string> ImageEnvironment() =>
        ImageEnvironmentOf(Path.Combine(ProjectDirectory, AssemblyName + ".csproj"));

    /// <summary>The same for a project file given by its path (the AppHost has it from Aspire's project metadata).</summary>
    public static IReadOnlyDictionary<string, string> ImageEnvironmentOf(string projectFile) =>
        File.Exists(projectFile)
            ? XDocument.Load(projectFile).Descendants("ContainerEnvironmentVariable")
                .ToDictionary(e => (string)e.Attribute("Include")!, e => (string?)e.Attribute("Value") ?? "")
            : new Dictionary<string, string>();

    private static ServiceProject InRepository(string name, string folder) =>
        new(name, Path.Combine(RepositoryRoot, folder), folder);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ovrsee.Aspire.sln")))
            {
                return directory.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
