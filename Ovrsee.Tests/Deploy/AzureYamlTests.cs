using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Ovrsee.Tests.Deploy;

// Guards the contract between azure.yaml, the Bicep under infra/ and the service projects:
// the things azd only finds out about halfway through `azd up`.
public partial class AzureYamlTests
{
    private static readonly string RepoRoot = Infrastructure.Repository.Root;
    private static readonly YamlMappingNode AzureYaml = LoadAzureYaml();

    public static TheoryData<string> ExpectedServices => new() { "webhookapi", "provisioning" };

    public static TheoryData<string> DeclaredServices
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Services().Keys)
            {
                data.Add(name);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ExpectedServices))]
    public void Service_is_a_dotnet_container_app(string service)
    {
        var services = Services();
        Assert.True(services.ContainsKey(service), $"azure.yaml has no service '{service}'.");

        Assert.Equal("containerapp", Scalar(services[service], "host"));
        Assert.Equal("dotnet", Scalar(services[service], "language"));
    }

    [Theory]
    [MemberData(nameof(DeclaredServices))]
    public void Project_path_is_a_directory_with_the_matching_csproj(string service)
    {
        var project = Scalar(Services()[service], "project");
        Assert.False(string.IsNullOrWhiteSpace(project), $"Service '{service}' has no project path.");

        var directory = Path.GetFullPath(Path.Combine(RepoRoot, project!));
        Assert.True(Directory.Exists(directory), $"'{project}' ({directory}) is not a directory.");

        // azd runs `dotnet publish <directory>`, which needs exactly one project file there.
        var projectFiles = Directory.GetFiles(directory, "*.csproj");
        var single = Assert.Single(projectFiles);
        var directoryName = new DirectoryInfo(directory).Name;
        Assert.Equal($"{directoryName}.csproj", Path.GetFileName(single));
    }

    [Theory]
    [MemberData(nameof(DeclaredServices))]
    public void Service_is_built_with_sdk_container_publishing(string service)
    {
        var definition = Services()[service];
        var directory = Path.Combine(RepoRoot, Scalar(definition, "project")!);

        // azd only uses `dotnet publish /t:PublishContainer` when the project has no Dockerfile;
        // ACR remote builds need one.
        Assert.False(File.Exists(Path.Combine(directory, "Dockerfile")), $"{directory} has a Dockerfile.");
        Assert.Null(Child(definition, "image"));
        if (Child(definition, "docker") is YamlMappingNode docker)
        {
            Assert.Null(Child(docker, "path"));
            Assert.NotEqual("true", Scalar(docker, "remoteBuild"));
        }
    }

    [Fact]
    public void Infra_is_bicep_under_infra()
    {
        var infra = Assert.IsType<YamlMappingNode>(Child(AzureYaml, "infra"));
        Assert.Equal("bicep", Scalar(infra, "provider"));
        Assert.Equal("infra", Scalar(infra, "path")?.TrimStart('.', '/').TrimEnd('/'));

        Assert.True(File.Exists(Path.Combine(RepoRoot, "infra", "main.bicep")));
        Assert.True(File.Exists(Path.Combine(RepoRoot, "infra", "main.parameters.json")));
        Assert.Matches(@"(?m)^targetScope\s*=\s*'subscription'", ReadInfra("main.bicep"));
    }

    [Fact]
    public void Every_azd_service_name_tag_names_a_service_and_every_service_has_one()
    {
        var services = Services().Keys.ToHashSet(StringComparer.Ordinal);
        var tagged = new List<(string Service, string File)>();

        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoRoot, "infra"), "*.bicep", SearchOption.AllDirectories))
        {
            foreach (Match match in ServiceNameTag().Matches(File.ReadAllText(file)))
            {
                tagged.Add((match.Groups["name"].Value, Path.GetRelativePath(RepoRoot, file)));
            }
        }

        Assert.NotEmpty(tagged);
        foreach (var (name, file) in tagged)
        {
            Assert.True(services.Contains(name), $"{file} tags a resource azd-service-name '{name}', which azure.yaml does not declare.");
        }

        // azd finds a service's container app by this tag; two would be ambiguous.
        foreach (var service in services)
        {
            Assert.True(tagged.Count(t => t.Service == service) == 1,
                $"Expected exactly one resource tagged azd-service-name '{service}', found {tagged.Count(t => t.Service == service)}.");
        }
    }

    [Theory]
    [MemberData(nameof(DeclaredServices))]
    public void Service_template_is_deployed_with_the_published_image(string service)
    {
        // azd >= 1.20 deploys infra/<service>.bicep with infra/<service>.parameters.json during
        // `azd deploy`; SERVICE_<NAME>_IMAGE_NAME is the image it has just pushed.
        var template = ReadInfra($"{service}.bicep");
        var parameters = ReadInfra($"{service}.parameters.json");

        Assert.Contains($"${{SERVICE_{service.ToUpperInvariant()}_IMAGE_NAME}}", parameters, StringComparison.Ordinal);
        Assert.Contains($"'azd-service-name': '{service}'", template, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameter_files_set_only_declared_parameters_and_every_required_one()
    {
        var parameterFiles = Directory.GetFiles(Path.Combine(RepoRoot, "infra"), "*.parameters.json");
        Assert.NotEmpty(parameterFiles);

        foreach (var parameterFile in parameterFiles)
        {
            var templateFile = parameterFile[..^".parameters.json".Length] + ".bicep";
            Assert.True(File.Exists(templateFile), $"{parameterFile} has no matching template.");

            var declared = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (Match match in ParamDeclaration().Matches(File.ReadAllText(templateFile)))
            {
                declared[match.Groups["name"].Value] = match.Groups["default"].Success;
            }

            using var json = JsonDocument.Parse(File.ReadAllText(parameterFile));
            var provided = json.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();

            foreach (var name in provided)
            {
                Assert.True(declared.ContainsKey(name), $"{Path.GetFileName(parameterFile)} sets '{name}', which {Path.GetFileName(templateFile)} does not declare.");
            }

            // main.bicep's postgresAdminPassword is left out on purpose: azd generates it.
            var requiredButMissing = declared
                .Where(p => !p.Value && !provided.Contains(p.Key) && !IsAzdGenerated(templateFile, p.Key))
                .Select(p => p.Key)
                .ToList();
            Assert.True(requiredButMissing.Count == 0,
                $"{Path.GetFileName(parameterFile)} does not set required parameter(s) {string.Join(", ", requiredButMissing)}; azd cannot prompt during deploy.");
        }
    }

    [Fact]
    public void Every_key_vault_secret_the_apps_reference_is_written_by_provisioning()
    {
        var written = KeyVaultSecretName().Matches(ReadInfra(Path.Combine("modules", "key-vault-secrets.bicep")))
            .Select(m => m.Groups["name"].Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(written);

        foreach (var service in Services().Keys)
        {
            var referenced = KeyVaultReference().Matches(ReadInfra($"{service}.bicep")).Select(m => m.Groups["name"].Value).ToList();
            Assert.NotEmpty(referenced);
            foreach (var name in referenced)
            {
                Assert.True(written.Contains(name), $"{service}.bicep references Key Vault secret '{name}', which modules/key-vault-secrets.bicep never writes.");
            }
        }
    }

    private static Dictionary<string, YamlMappingNode> Services()
    {
        var services = Assert.IsType<YamlMappingNode>(Child(AzureYaml, "services"));
        return services.Children.ToDictionary(
            entry => ((YamlScalarNode)entry.Key).Value!,
            entry => Assert.IsType<YamlMappingNode>(entry.Value),
            StringComparer.Ordinal);
    }

    private static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlMappingNode mapping, string key) => (Child(mapping, key) as YamlScalarNode)?.Value;

    private static bool IsAzdGenerated(string templateFile, string parameter) =>
        Regex.IsMatch(File.ReadAllText(templateFile), $@"type:\s*'generate'[^@]*?\}}\)\s*param\s+{Regex.Escape(parameter)}\b", RegexOptions.Singleline);

    private static string ReadInfra(string relativePath) => File.ReadAllText(Path.Combine(RepoRoot, "infra", relativePath));

    private static YamlMappingNode LoadAzureYaml()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepoRoot, "azure.yaml")))
        {
            stream.Load(reader);
        }
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }


    [GeneratedRegex(@"'azd-service-name'\s*:\s*'(?<name>[^']+)'")]
    private static partial Regex ServiceNameTag();

    // `param name type` with an optional `= default`; decorators sit on the lines above.
    [GeneratedRegex(@"(?m)^param\s+(?<name>\w+)\s+[\w.]+(?<default>\s*=)?")]
    private static partial Regex ParamDeclaration();

    [GeneratedRegex(@"keyVaultUrl:\s*'\$\{keyVaultEndpoint\}secrets/(?<name>[a-z0-9-]+)'")]
    private static partial Regex KeyVaultReference();

    [GeneratedRegex(@"name:\s*'(?<name>[a-z0-9-]+)'")]
    private static partial Regex KeyVaultSecretName();
}
