extern alias apphost;

using apphost::Ovrsee.AppHost;
using apphost::Ovrsee.AppHost.Storage;
using Microsoft.Extensions.Configuration;

namespace Ovrsee.Tests.AppHost;

/// <summary>Which recording storage the AppHost gives WebhookApi, for each setting and whether Azurite is installed.</summary>
public class RecordingStorageChoiceTests
{
    [Theory]
    [InlineData(null, true, "Azurite")]
    [InlineData("auto", true, "Azurite")]
    [InlineData("AUTO", false, "LocalFolder")]
    [InlineData(null, false, "LocalFolder")]
    [InlineData("folder", true, "LocalFolder")]
    [InlineData("azurite", true, "Azurite")]
    public void Auto_takes_Azurite_when_installed_else_the_folder_and_a_forced_choice_wins(string? setting, bool installed, string expected)
    {
        Assert.Equal(expected, RecordingStorageExtensions.Choose(Settings(("RecordingStorage", setting)), installed, out var refusal)?.ToString());
        Assert.Null(refusal);
    }

    [Fact]
    public void Azurite_asked_for_but_missing_refuses_with_the_install_command()
    {
        Assert.Null(RecordingStorageExtensions.Choose(Settings(("RecordingStorage", "azurite")), azuriteInstalled: false, out var refusal));
        Assert.Contains("npm ci --prefix .ci/azurite", refusal);
    }

    [Fact]
    public void A_configured_recordings_connection_string_is_used_as_it_is()
    {
        var settings = Settings(("RecordingStorage", "folder"), ("ConnectionStrings:recordings", "https://example.blob.core.windows.net/"));
        Assert.Equal(RecordingStorageChoice.External, RecordingStorageExtensions.Choose(settings, azuriteInstalled: false, out _));
    }

    private static AppHostSettings Settings(params (string Key, string? Value)[] values) => AppHostSettings.From(
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, v.Value))).Build(), "/tmp/ovrsee-repo");
}
