using System.Net;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Tests.Webhooks;

/// <summary>Which addresses share a budget: one per IPv4 address, one per IPv6 /64, IPv4-mapped counted as IPv4.</summary>
public class UnverifiedTrafficLimiterTests
{
    private static UnverifiedTrafficLimiter Limiter() =>
        new(Options.Create(new UnverifiedTrafficOptions { PermitsPerSecond = 1, Burst = 2 }));

    [Fact]
    public void Addresses_in_one_IPv6_64_share_a_budget_and_the_next_64_has_its_own()
    {
        using var limiter = Limiter();
        Assert.True(limiter.TrySpend(IPAddress.Parse("2001:db8:0:7::1"), out _));
        Assert.True(limiter.TrySpend(IPAddress.Parse("2001:db8:0:7::2"), out _));

        Assert.False(limiter.TrySpend(IPAddress.Parse("2001:db8:0:7:ffff::3"), out var retryAfter));
        Assert.True(retryAfter > TimeSpan.Zero);
        Assert.True(limiter.TrySpend(IPAddress.Parse("2001:db8:0:8::1"), out _));
    }

    [Fact]
    public void An_IPv4_mapped_address_spends_the_IPv4_budget_and_neighbours_keep_theirs()
    {
        using var limiter = Limiter();
        Assert.True(limiter.TrySpend(IPAddress.Parse("192.0.2.10"), out _));
        Assert.True(limiter.TrySpend(IPAddress.Parse("::ffff:192.0.2.10"), out _));

        Assert.False(limiter.TrySpend(IPAddress.Parse("192.0.2.10"), out _));
        Assert.True(limiter.TrySpend(IPAddress.Parse("192.0.2.11"), out _));
    }
}
