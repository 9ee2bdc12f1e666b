using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio.AspNetCore;

namespace Ovrsee.Tests.Twilio;

public class WebhookOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings.TryAdd("Twilio:AuthToken", "token");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddWebhookOptions(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Defaults()
    {
        using var provider = Build([]);
        var options = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
        Assert.Null(options.PublicBaseUrl);
        Assert.Empty(options.TrustedProxies);
        Assert.Equal(65536, options.MaxBodyBytes);
    }

    [Fact]
    public void Binds_the_Webhooks_section()
    {
        using var provider = Build(new()
        {
            ["Webhooks:PublicBaseUrl"] = "https://example.ngrok.app",
            ["Webhooks:TrustedProxies:0"] = "10.0.0.0/8",
            ["Webhooks:TrustedProxies:1"] = "::1",
            ["Webhooks:MaxBodyBytes"] = "32768",
            ["NEXT_PUBLIC_APP_URL"] = "https://ignored.example.com",
        });

        var options = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
        Assert.Equal("https://example.ngrok.app", options.PublicBaseUrl);
        Assert.Equal(["10.0.0.0/8", "::1"], options.TrustedProxies);
        Assert.Equal(32768, options.MaxBodyBytes);
    }

    [Fact]
    public void Public_base_url_falls_back_to_NEXT_PUBLIC_APP_URL()
    {
        using var provider = Build(new() { ["NEXT_PUBLIC_APP_URL"] = "https://app.example.com" });
        Assert.Equal("https://app.example.com", provider.GetRequiredService<IOptions<WebhookOptions>>().Value.PublicBaseUrl);
    }

    [Theory]
    [InlineData("Webhooks:PublicBaseUrl", "example.com", "PublicBaseUrl")]
    [InlineData("Webhooks:PublicBaseUrl", "ftp://example.com", "PublicBaseUrl")]
    [InlineData("Webhooks:PublicBaseUrl", "https://example.com/?a=1", "PublicBaseUrl")]
    [InlineData("Webhooks:MaxBodyBytes", "0", "MaxBodyBytes")]
    [InlineData("Webhooks:TrustedProxies:0", "10.0.0.0/33", "10.0.0.0/33")]
    [InlineData("Webhooks:TrustedProxies:0", "proxy.internal", "proxy.internal")]
    public void Invalid_settings_fail_at_start_up(string key, string value, string expectedInMessage)
    {
        using var provider = Build(new() { [key] = value });
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(expectedInMessage, failure.Message);
    }

    [Fact]
    public void Webhook_validation_requires_the_auth_token()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddTwilioRequestValidation(configuration);
        using var provider = services.BuildServiceProvider();
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Twilio:AuthToken", failure.Message);
    }
}
