using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Events;

namespace Ovrsee.Tests.Events;

public class EventFeedOptionsTests
{
    private static EventFeedOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IValidateOptions<EventFeedOptions>, EventFeedOptionsValidator>();
        services.AddOptions<EventFeedOptions>().Bind(configuration.GetSection(EventFeedOptions.SectionName));
        return services.BuildServiceProvider().GetRequiredService<IOptions<EventFeedOptions>>().Value;
    }

    [Fact]
    public void Defaults_heartbeat_every_15_seconds_and_are_valid()
    {
        var options = Bind([]);
        Assert.Equal(TimeSpan.FromSeconds(15), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ReconnectDelay);
        Assert.True(new EventFeedOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Binds_the_EventFeed_section()
    {
        var options = Bind(new() { ["EventFeed:HeartbeatInterval"] = "00:00:30", ["EventFeed:SubscriberQueueLength"] = "64" });
        Assert.Equal(TimeSpan.FromSeconds(30), options.HeartbeatInterval);
        Assert.Equal(64, options.SubscriberQueueLength);
    }

    [Theory]
    [InlineData("EventFeed:HeartbeatInterval", "00:00:00")]
    [InlineData("EventFeed:HeartbeatInterval", "01:00:00")]
    [InlineData("EventFeed:SubscriberQueueLength", "0")]
    [InlineData("EventFeed:FallbackReadInterval", "00:00:00.010")]
    [InlineData("EventFeed:ReadBatchSize", "0")]
    [InlineData("EventFeed:ReconnectDelay", "00:00:00")]
    public void Out_of_range_settings_fail_at_start_up(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IValidateOptions<EventFeedOptions>, EventFeedOptionsValidator>();
        services.AddOptions<EventFeedOptions>().Bind(configuration.GetSection(EventFeedOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventFeedOptions>>().Value);
        Assert.Contains(key, failure.Message);
    }
}
