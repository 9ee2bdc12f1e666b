using System.Globalization;

namespace Ovrsee.Routing;

/// <summary>Why a call was routed where it was.</summary>
public enum RoutingPeriod
{
    DuringHours,
    AfterHours,
    /// <summary>A closure date (holiday): after hours all day.</summary>
    Closure,
}

/// <summary>Where an incoming call goes and why; recorded on the call's timeline as <c>routed</c>.</summary>
public sealed record RoutingDecision(RoutingPeriod Period, RouteTarget Route, Greeting? Greeting)
{
    /// <summary>Timeline wording, e.g. <c>after-hours</c>.</summary>
    public string PeriodName => Period switch
    {
        RoutingPeriod.DuringHours => "during-hours",
        RoutingPeriod.AfterHours => "after-hours",
        _ => "closure",
    };

    public string RouteName => Route.ToString().ToLowerInvariant();

    /// <summary>
    /// The decision for a call arriving at <paramref name="now"/>. Forward without targets (settings
    /// written before a target was removed) falls back to voicemail rather than to silence.
    /// </summary>
    public static RoutingDecision For(RoutingSettings settings, DateTimeOffset now)
    {
        var period = PeriodAt(settings, now);
        var route = period == RoutingPeriod.DuringHours ? settings.DuringHours : settings.AfterHours;
        if (route == RouteTarget.Forward && settings.Forward is not { Targets.Count: > 0 })
        {
            route = RouteTarget.Voicemail;
        }
        var greeting = period == RoutingPeriod.DuringHours
            ? settings.VoicemailGreeting
            : settings.AfterHoursGreeting ?? settings.VoicemailGreeting;
        return new RoutingDecision(period, route, greeting);
    }

    /// <summary>
    /// Compared on the local wall clock of the number's zone, so 09:00-17:00 means that on both
    /// sides of a DST change. A range past midnight belongs to the day it starts on; a closure day
    /// closes that whole local date, including yesterday's range running into it.
    /// </summary>
    public static RoutingPeriod PeriodAt(RoutingSettings settings, DateTimeOffset now)
    {
        if (settings.BusinessHours is null && settings.Closures is not { Count: > 0 })
        {
            return RoutingPeriod.DuringHours;
        }
        var zone = TimeZoneInfo.FindSystemTimeZoneById(settings.TimeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var today = DateOnly.FromDateTime(local.DateTime);
        if (settings.Closures?.Contains(today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) == true)
        {
            return RoutingPeriod.Closure;
        }
        if (settings.BusinessHours is null)
        {
            return RoutingPeriod.DuringHours;
        }

        var minute = local.Hour * 60 + local.Minute;
        foreach (var range in RangesOf(settings, local.DayOfWeek))
        {
            var (start, end) = Bounds(range);
            if (end > start ? minute >= start && minute < end : minute >= start)
            {
                return RoutingPeriod.DuringHours;
            }
        }
        var yesterday = local.AddDays(-1).DayOfWeek;
        foreach (var range in RangesOf(settings, yesterday))
        {
            var (start, end) = Bounds(range);
            if (end <= start && minute < end)
            {
                return RoutingPeriod.DuringHours;
            }
        }
        return RoutingPeriod.AfterHours;
    }

    private static IReadOnlyList<OpeningRange> RangesOf(RoutingSettings settings, DayOfWeek day) =>
        settings.BusinessHours!.TryGetValue(RoutingSettingsReader.Days[((int)day + 6) % 7], out var ranges) ? ranges : [];

    private static (int Start, int End) Bounds(OpeningRange range) =>
        (RoutingSettingsReader.Minutes(range.From, allow24: false) ?? 0, RoutingSettingsReader.Minutes(range.To, allow24: true) ?? 0);
}
