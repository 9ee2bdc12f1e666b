using System.Text.RegularExpressions;

namespace Ovrsee.Tests.Deploy;

// What keeps WebhookApi answering Twilio in Azure while PostgreSQL is down (docs/deploy.md,
// "During a database outage"): readiness that does not hang on the database, and a spool on
// storage that outlives the replica.
public partial class AzureYamlTests
{
    [Fact]
    public void WebhookApi_readiness_is_can_answer_Twilio_not_the_database_health()
    {
        var template = ReadInfra("webhookapi.bicep");
        var readiness = Regex.Match(template, @"type:\s*'Readiness'.*?path:\s*'(?<path>[^']+)'", RegexOptions.Singleline);
        Assert.True(readiness.Success, "webhookapi.bicep has no readiness probe");
        Assert.Equal("/ready", readiness.Groups["path"].Value);
    }

    [Fact]
    public void WebhookApi_image_runs_socket_completions_inline()
    {
        // #15: the runtime reads the switch from the environment only, so the image carries it.
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(RepoRoot, "Ovrsee.WebhookApi", "Ovrsee.WebhookApi.csproj"));
        var variable = Assert.Single(project.Descendants("ContainerEnvironmentVariable"),
            e => (string?)e.Attribute("Include") == "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        Assert.Equal("1", (string?)variable.Attribute("Value"));
    }

    [Fact]
    public void WebhookApi_spools_to_an_Azure_Files_volume_that_provisioning_creates()
    {
        var template = ReadInfra("webhookapi.bicep");
        var mountPath = Regex.Match(template, @"var\s+spoolMountPath\s*=\s*'(?<path>[^']+)'").Groups["path"].Value;
        Assert.StartsWith("/", mountPath);
        Assert.Matches(@"name:\s*'Webhooks__Spool__Directory'\s*value:\s*spoolMountPath", template);
        Assert.Matches(@"volumeName:\s*'webhook-spool'\s*mountPath:\s*spoolMountPath", template);
        Assert.Matches(@"name:\s*'webhook-spool'\s*storageType:\s*'AzureFile'\s*storageName:\s*spoolStorageName", template);

        Assert.Matches(@"output\s+AZURE_WEBHOOK_SPOOL_STORAGE_NAME\s+string\s*=\s*webhookSpool\.outputs\.environmentStorageName", ReadInfra("main.bicep"));
        Assert.Contains("${AZURE_WEBHOOK_SPOOL_STORAGE_NAME}", ReadInfra("webhookapi.parameters.json"));
        Assert.Matches(@"'Microsoft\.App/managedEnvironments/storages@[^']+'", ReadInfra(Path.Combine("modules", "webhook-spool.bicep")));
    }
}
