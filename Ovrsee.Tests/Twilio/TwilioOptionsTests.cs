using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio;

namespace Ovrsee.Tests.Twilio;

public class TwilioOptionsTests
{
    private const string Sid = "AC0123456789abcdef0123456789ABCDEF";
    private const string KeySid = "SK0123456789abcdef0123456789ABCDEF";

    private static ServiceProvider Build(Dictionary<string, string?> settings, bool requireAuthToken = false)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        var builder = services.AddTwilioOptions(configuration);
        if (requireAuthToken)
        {
            builder.RequireAuthToken();
        }

        return services.BuildServiceProvider();
    }

    private static OptionsValidationException StartupFailure(ServiceProvider provider) =>
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

    [Fact]
    public void Binds_the_Twilio_section()
    {
        using var provider = Build(new()
        {
            ["Twilio:AccountSid"] = Sid,
            ["Twilio:AuthToken"] = "section-token",
            ["Twilio:AdditionalAuthTokens:0"] = "older-token",
            ["Twilio:ApiKey"] = KeySid,
            ["Twilio:ApiSecret"] = "secret",
            ["Twilio:BaseUrl"] = "http://127.0.0.1:4010",
        });

        var options = provider.GetRequiredService<IOptions<TwilioOptions>>().Value;
        Assert.Equal(Sid, options.AccountSid);
        Assert.Equal("section-token", options.AuthToken);
        Assert.Equal(["older-token"], options.AdditionalAuthTokens);
        Assert.Equal(KeySid, options.ApiKey);
        Assert.Equal("secret", options.ApiSecret);
        Assert.Equal("http://127.0.0.1:4010", options.BaseUrl);
        Assert.Equal(["section-token", "older-token"], options.GetWebhookAuthTokens());
    }

    [Fact]
    public void Falls_back_to_the_seed_environment_names_when_the_section_is_empty()
    {
        using var provider = Build(new()
        {
            ["Twilio:AuthToken"] = "",
            ["TWILIO_ACCOUNT_SID"] = Sid,
            ["TWILIO_AUTH_TOKEN"] = "env-token",
            ["TWILIO_API_KEY"] = KeySid,
            ["TWILIO_API_SECRET"] = "env-secret",
        });

        var options = provider.GetRequiredService<IOptions<TwilioOptions>>().Value;
        Assert.Equal(Sid, options.AccountSid);
        Assert.Equal("env-token", options.AuthToken);
        Assert.Equal(KeySid, options.ApiKey);
        Assert.Equal("env-secret", options.ApiSecret);
        Assert.Equal(TwilioOptions.DefaultBaseUrl, options.BaseUrl);
    }

    [Fact]
    public void Section_wins_over_the_flat_names()
    {
        using var provider = Build(new() { ["Twilio:AuthToken"] = "section-token", ["TWILIO_AUTH_TOKEN"] = "env-token" });
        Assert.Equal("section-token", provider.GetRequiredService<IOptions<TwilioOptions>>().Value.AuthToken);
    }

    [Theory]
    [InlineData("Twilio:AccountSid", "AC123", "AccountSid")]
    [InlineData("Twilio:AccountSid", "XX0123456789abcdef0123456789ABCDEF", "AccountSid")]
    [InlineData("Twilio:ApiKey", "SK123", "ApiKey")]
    public void Malformed_sids_fail_at_start_up(string key, string value, string expectedInMessage)
    {
        using var provider = Build(new() { [key] = value, ["Twilio:ApiSecret"] = "s" });
        Assert.Contains(expectedInMessage, StartupFailure(provider).Message);
    }

    [Fact]
    public void Api_key_requires_api_secret()
    {
        using var provider = Build(new() { ["Twilio:ApiKey"] = KeySid });
        Assert.Contains("ApiSecret", StartupFailure(provider).Message);
    }

    [Fact]
    public void Auth_token_is_optional_until_required()
    {
        using var provider = Build(new() { ["Twilio:AccountSid"] = Sid });
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void Required_auth_token_names_both_configuration_spellings()
    {
        using var provider = Build(new() { ["Twilio:AccountSid"] = Sid }, requireAuthToken: true);
        var message = StartupFailure(provider).Message;
        Assert.Contains("Twilio:AuthToken", message);
        Assert.Contains("TWILIO_AUTH_TOKEN", message);
    }

    [Fact]
    public void Required_auth_token_is_satisfied_by_the_environment_name()
    {
        using var provider = Build(new() { ["TWILIO_AUTH_TOKEN"] = "env-token" }, requireAuthToken: true);
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void ToString_redacts_secrets()
    {
        var options = new TwilioOptions
        {
            AccountSid = Sid,
            AuthToken = "super-secret-token",
            AdditionalAuthTokens = ["older-secret-token"],
            ApiKey = KeySid,
            ApiSecret = "super-secret-api-secret",
        };

        var text = options.ToString();
        Assert.Contains(Sid, text);
        Assert.DoesNotContain("super-secret", text);
        Assert.DoesNotContain("older-secret", text);
    }

    [Fact]
    public void Webhook_tokens_skip_blanks_and_duplicates()
    {
        var options = new TwilioOptions { AuthToken = "a", AdditionalAuthTokens = ["", "b", "a", " "] };
        Assert.Equal(["a", "b"], options.GetWebhookAuthTokens());
    }
}
