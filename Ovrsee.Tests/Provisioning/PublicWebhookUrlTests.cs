using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>Which URLs Twilio may be pointed at, and the check that ours answers through its public URL.</summary>
public class PublicWebhookUrlTests
{
    [Theory]
    [InlineData("https://aloha.ngrok.app")]
    [InlineData("https://abc123-5180.euw.devtunnels.ms/")]
    [InlineData("https://ca-webhookapi-x1y2.westeurope.azurecontainerapps.io")]
    [InlineData("https://api.example.com/telephony")]
    [InlineData("https://8.8.8.8")]
    public void Public_https_urls_are_accepted(string url)
    {
        Assert.Null(PublicWebhookUrl.Refusal(url, out var uri));
        Assert.NotNull(uri);
    }

    [Theory]
    [InlineData(null, "not set")]
    [InlineData("", "not set")]
    [InlineData("aloha.example.com", "not an absolute")]
    [InlineData("ftp://aloha.example.com", "not an absolute")]
    [InlineData("http://aloha.example.com", "plain http")]
    [InlineData("http://localhost:5180", "plain http")]
    [InlineData("https://localhost:5180", "localhost")]
    [InlineData("https://127.0.0.1", "local or private")]
    [InlineData("https://10.1.2.3", "local or private")]
    [InlineData("https://172.20.0.5", "local or private")]
    [InlineData("https://192.168.1.20", "local or private")]
    [InlineData("https://169.254.169.254", "local or private")]
    [InlineData("https://100.64.0.1", "local or private")]
    [InlineData("https://[::1]", "local or private")]
    [InlineData("https://[fd00::1]", "local or private")]
    [InlineData("https://[fe80::1]", "local or private")]
    [InlineData("https://[::ffff:192.168.1.1]", "local or private")]
    [InlineData("https://webhookapi", "only your own network")]
    [InlineData("https://app.localhost", "only your own network")]
    [InlineData("https://mybox.local", "only your own network")]
    [InlineData("https://webhookapi.internal", "only your own network")]
    public void Urls_Twilio_cannot_reach_are_refused_with_what_to_do(string? url, string reason)
    {
        var refusal = PublicWebhookUrl.Refusal(url, out var uri);

        Assert.Null(uri);
        Assert.Contains(reason, refusal);
        Assert.Contains("Webhooks:PublicBaseUrl", refusal);
        Assert.Contains("--public-url", refusal);
    }

    [Fact]
    public void The_advice_is_our_own_tunnel_not_a_third_party_command()
    {
        var refusal = PublicWebhookUrl.Refusal(null, out _);

        Assert.Contains("dotnet run --project Ovrsee.AppHost -- --tunnel cloudflared", refusal);
        Assert.DoesNotContain("ngrok http", refusal);
    }

    [Fact]
    public void With_Twilio_credentials_and_the_public_url_both_missing_both_are_named()
    {
        var targets = new WebhookTargets(new FixedOptions<Ovrsee.PublicUrls.WebhookOptions>(new()), new FixedOptions<Ovrsee.Twilio.TwilioOptions>(new()));

        var refused = Assert.Throws<WebhookUrlNotPublicException>(targets.Resolve);
        var problem = TwilioProblems.From(refused)!.Problem;

        Assert.Equal(503, problem.Status);
        Assert.Equal("Twilio and the webhook URL are not configured", problem.Title);
        Assert.Contains("Twilio:AccountSid", problem.Detail);
        Assert.Contains("Webhooks:PublicBaseUrl", problem.Detail);
    }

    [Fact]
    public void The_webhook_urls_keep_a_path_prefix_and_drop_a_trailing_slash()
    {
        var targets = new WebhookTargets(new FixedOptions<Ovrsee.PublicUrls.WebhookOptions>(new() { PublicBaseUrl = "https://api.example.com/telephony/" }), Configured);

        var endpoints = targets.Resolve();

        Assert.Equal("https://api.example.com/telephony/api/aloha/webhooks/incoming-call" + WebhookTargets.IncomingCallOverrides, endpoints.VoiceUrl);
        Assert.Equal("https://api.example.com/telephony/api/aloha/webhooks/call-status" + WebhookTargets.CallStatusOverrides, endpoints.StatusCallbackUrl);
        Assert.Equal("https://api.example.com/telephony/health", endpoints.HealthUrl);
    }

    [Fact]
    public async Task The_reachability_check_says_reachable_when_health_answers_and_why_not_otherwise()
    {
        await using var twilio = await TwilioDouble.StartAsync(validateWith: null);
        var services = new ServiceCollection();
        services.AddHttpClient(PublicUrlProbe.HttpClientName);
        services.AddSingleton(TimeProvider.System);
        services.Configure<ProvisioningOptions>(o => o.PublicUrlProbeTimeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<PublicUrlProbe>();
        await using var provider = services.BuildServiceProvider();
        var probe = provider.GetRequiredService<PublicUrlProbe>();

        var up = await probe.CheckAsync($"{twilio.BaseUrl.ToString().TrimEnd('/')}/health", default);
        var missing = await probe.CheckAsync($"{twilio.BaseUrl.ToString().TrimEnd('/')}/not-the-webhookapi/health", default);
        var down = await probe.CheckAsync($"http://127.0.0.1:{Ovrsee.Hosting.LoopbackPort.Free()}/health", default);

        Assert.True(up.Reachable);
        Assert.Equal(200, up.Status);
        Assert.False(missing.Reachable);
        Assert.Contains("not the WebhookApi", missing.Detail);
        Assert.False(down.Reachable);
        Assert.Null(down.Status);
        Assert.Contains("did not answer", down.Detail);
    }

    private sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;
        public T Get(string? name) => value;
        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    private static readonly FixedOptions<Ovrsee.Twilio.TwilioOptions> Configured = new(new()
    {
        AccountSid = TestServiceEnvironment.AccountSid, AuthToken = TestServiceEnvironment.AuthToken,
    });
}

/// <summary>The real process configured with http://localhost: it refuses to point Twilio there and says what to do.</summary>
[Trait("Category", "Slow")]
public class LocalhostWebhookUrlTests(LocalhostWebhookUrlTests.Fixture api) : IClassFixture<LocalhostWebhookUrlTests.Fixture>
{
    public sealed class Fixture : ProvisioningFixture
    {
        protected override string? WebhookBaseUrl => "http://localhost:5180";
    }

    [Fact]
    public async Task Purchase_and_configure_are_refused_before_Twilio_is_called()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var owned = api.Twilio.Own(ProvisioningFixture.NewNumber());
        var id = await Seed.ScalarAsync<Guid>(api.Admin,
            "INSERT INTO user_phone_numbers (workspace_id, phone_number, twilio_phone_sid) VALUES ($1, $2, $3) RETURNING id", workspace.Id, owned.PhoneNumber, owned.Sid);

        var purchase = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, Guid.NewGuid().ToString()), 503);
        var configure = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", workspace.OwnerToken, new { phoneNumberId = id }), 503);

        foreach (var problem in new[] { purchase, configure })
        {
            Assert.Equal("The webhook URL is not public", (string?)problem["title"]);
            Assert.Contains("http://localhost:5180", (string?)problem["detail"]);
            Assert.Contains("--public-url", (string?)problem["detail"]);
        }
        Assert.DoesNotContain(api.Twilio.Requests, r => r.Method == "POST");
        Assert.Equal(0, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM number_purchases"));
        // A number that does not exist is not found, whatever the configuration.
        var unknown = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", workspace.OwnerToken, new { phoneNumberId = Guid.NewGuid() }), 404);
        Assert.Equal("Number not found", (string?)unknown["title"]);
        Assert.Null(await Seed.ScalarAsync<DateTime?>(api.Admin, "SELECT webhooks_configured_at FROM user_phone_numbers WHERE id = $1", id));
        // Reading still works.
        await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers", workspace.MemberToken), 200);
    }
}
