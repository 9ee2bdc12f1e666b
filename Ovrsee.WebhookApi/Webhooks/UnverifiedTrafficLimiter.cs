using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Webhooks;

/// <summary>Bound from <c>RateLimiting:Webhooks</c>: how much unsigned or wrongly signed traffic one address may send.</summary>
public sealed class UnverifiedTrafficOptions
{
    public const string SectionName = "RateLimiting:Webhooks";

    public int PermitsPerSecond { get; set; } = 10;

    public int Burst { get; set; } = 50;
}

internal sealed class UnverifiedTrafficOptionsValidator : IValidateOptions<UnverifiedTrafficOptions>
{
    public ValidateOptionsResult Validate(string? name, UnverifiedTrafficOptions options) =>
        options.PermitsPerSecond <= 0 || options.Burst <= 0
            ? ValidateOptionsResult.Fail($"{UnverifiedTrafficOptions.SectionName}:PermitsPerSecond and :Burst must be positive.")
            : ValidateOptionsResult.Success;
}

/// <summary>
/// A token bucket per source address, spent only by requests that did not prove they come from
/// Twilio. A validly signed request never asks it: Twilio's egress addresses are shared by every
/// Twilio customer, so an address that sends garbage may be the one the next real call comes from.
/// </summary>
public sealed class UnverifiedTrafficLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _limiter;

    public UnverifiedTrafficLimiter(IOptions<UnverifiedTrafficOptions> options)
    {
        var settings = options.Value;
        _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(
            address,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Burst,
                TokensPerPeriod = settings.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Spends one permit of the address's budget; false (with when to come back) when it is spent.</summary>
    public bool TrySpend(IPAddress? source, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(PartitionOf(source));
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return lease.IsAcquired;
    }

    /// <summary>
    /// One partition per IPv4 address and per IPv6 /64 (what one subscriber is usually given, so
    /// rotating through it does not buy a fresh budget per address).
    /// </summary>
    internal static IPAddress PartitionOf(IPAddress? source)
    {
        if (source is null)
        {
            return IPAddress.None;
        }
        if (source.IsIPv4MappedToIPv6)
        {
            return source.MapToIPv4();
        }
        if (source.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return source;
        }
        var bytes = source.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    public void Dispose() => _limiter.Dispose();
}
