using Microsoft.Extensions.DependencyInjection.Extensions;
using Ovrsee.WebhookApi.Routing;

namespace Ovrsee.WebhookApi.Extensions;

public static class RoutingExtensions
{
    /// <summary>Where an incoming call goes (<c>Routing/</c>): the decision, its clock, and the TwiML that says so.</summary>
    public static void AddCallRouting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CallAnswers>();
        builder.Services.AddSingleton<CallRouting>();
        builder.AddRoutingClock();
    }

    /// <summary>
    /// The clock routing decides business hours by: the system's, or in Development only, one that
    /// starts at <c>Routing:Clock:StartAt</c> and runs on from there, so tests (which run the real
    /// service process) can place calls on a DST change or a holiday. Refused outside Development.
    /// </summary>
    public static void AddRoutingClock(this IHostApplicationBuilder builder)
    {
        var startAt = builder.Configuration["Routing:Clock:StartAt"];
        if (string.IsNullOrWhiteSpace(startAt))
        {
            builder.Services.TryAddSingleton(TimeProvider.System);
            return;
        }
        if (!builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException("Routing:Clock:StartAt is for tests in Development only; remove it.");
        }
        if (!DateTimeOffset.TryParse(startAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var start))
        {
            throw new InvalidOperationException($"Routing:Clock:StartAt must be a date and time, e.g. 2026-03-08T14:30:00Z; got '{startAt}'.");
        }
        builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new ShiftedTimeProvider(start - TimeProvider.System.GetUtcNow())));
    }

    /// <summary>The system clock moved by a fixed offset; timers and time zones stay the system's.</summary>
    private sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
