using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.OutboundWebhooks;

namespace Ovrsee.Tests.Events;

/// <summary>The signing (the StandardWebhooks package) against the spec's published example, the retry schedule and the options' checks.</summary>
public class WebhookSignatureTests
{
    // The Standard Webhooks / Svix reference example.
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const string SpecBody = """{"test": 2432232314}""";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [Fact]
    public void Signing_matches_the_specs_example_and_the_independent_verifier()
    {
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1614265330);

        Assert.Equal(SpecSignature, WebhookSignature.Sign(SpecId, timestamp, SpecBody, SpecSecret, previousSecret: null));
        Assert.Equal(SpecSignature, IndependentWebhookVerifier.Signature(SpecSecret, SpecId, "1614265330", SpecBody));
    }

    [Fact]
    public void During_a_rotation_the_header_carries_the_new_secrets_signature_then_the_previous_ones()
    {
        var fresh = WebhookSignature.NewSecret();
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(1614265330);

        var header = WebhookSignature.Sign(SpecId, timestamp, SpecBody, fresh, SpecSecret);

        var parts = header.Split(' ');
        Assert.Equal(2, parts.Length);
        Assert.Equal(IndependentWebhookVerifier.Signature(fresh, SpecId, "1614265330", SpecBody), parts[0]);
        Assert.Equal(SpecSignature, parts[1]);
    }

    [Fact]
    public void New_secrets_are_whsec_and_32_random_bytes()
    {
        var a = WebhookSignature.NewSecret();
        var b = WebhookSignature.NewSecret();
        Assert.NotEqual(a, b);
        Assert.Equal(32, WebhookSignature.Key(a).Length);
        Assert.Throws<FormatException>(() => WebhookSignature.Key("secret"));
    }

    [Fact]
    public void Retries_back_off_exponentially_from_five_seconds_to_an_hour_with_jitter_and_cover_a_day()
    {
        var options = new OutboundWebhookOptions();
        TimeSpan Delay(int attempt, double jitter) => WebhookSender.RetryDelay(attempt, options.InitialRetryDelay, options.MaxRetryDelay, jitter);

        Assert.Equal(TimeSpan.FromSeconds(5), Delay(1, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(10), Delay(2, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(3.75), Delay(1, 0));
        Assert.Equal(TimeSpan.FromSeconds(6.25), Delay(1, 1));
        Assert.Equal(TimeSpan.FromHours(1), Delay(11, 0.5));
        Assert.Equal(TimeSpan.FromHours(1), Delay(1000, 0.5));
        Assert.True(options.RetryWindow >= TimeSpan.FromHours(24));
        // Even with the least favourable jitter, the schedule keeps trying for the whole window: about 30 attempts.
        var elapsed = TimeSpan.Zero;
        var attempts = 0;
        while (elapsed < options.RetryWindow)
        {
            elapsed += Delay(++attempts, 1);
        }
        Assert.InRange(attempts, 20, 40);
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_at_start_up()
    {
        var validator = new OutboundWebhookOptionsValidator();
        Assert.True(validator.Validate(null, new OutboundWebhookOptions()).Succeeded);
        var bad = new OutboundWebhookOptions
        {
            RequestTimeout = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.FromSeconds(1),
            MaxConcurrentDeliveriesPerEndpoint = 100,
            AutoDisableAfterFailures = 0,
        };
        var result = validator.Validate(null, bad);
        Assert.True(result.Failed);
        Assert.Contains("RequestTimeout", result.FailureMessage);
        Assert.Contains("MaxRetryDelay", result.FailureMessage);
        Assert.Contains("MaxConcurrentDeliveriesPerEndpoint", result.FailureMessage);
        Assert.Contains("AutoDisableAfterFailures", result.FailureMessage);
    }
}
