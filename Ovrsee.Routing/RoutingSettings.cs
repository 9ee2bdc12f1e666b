using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ovrsee.Routing;

/// <summary>Where a call goes: the Aloha agent, a person's phone, or voicemail.</summary>
[JsonConverter(typeof(LowercaseEnumConverter<RouteTarget>))]
public enum RouteTarget
{
    Agent,
    Forward,
    Voicemail,
}

/// <summary>How several forward targets ring.</summary>
[JsonConverter(typeof(LowercaseEnumConverter<ForwardStrategy>))]
public enum ForwardStrategy
{
    /// <summary>One after another, each for the ring timeout.</summary>
    Sequential,
    /// <summary>All at once; the first to answer takes the call.</summary>
    Simultaneous,
}

/// <summary>Which number the person we forward to sees.</summary>
[JsonConverter(typeof(LowercaseEnumConverter<ForwardCallerId>))]
public enum ForwardCallerId
{
    /// <summary>The caller's own number.</summary>
    Caller,
    /// <summary>Our number (the one that was dialled), so the person knows it is a business call.</summary>
    Number,
}

/// <summary>One opening range, local time. <c>To</c> before <c>From</c> runs past midnight into the next day.</summary>
public sealed record OpeningRange(string From, string To);

/// <param name="Targets">E.164 numbers, in the order they ring when sequential.</param>
/// <param name="RingTimeoutSeconds">How long each (or all, when simultaneous) ring before voicemail.</param>
public sealed record ForwardSettings(
    IReadOnlyList<string> Targets,
    ForwardStrategy Strategy = ForwardStrategy.Sequential,
    int RingTimeoutSeconds = 20,
    ForwardCallerId CallerId = ForwardCallerId.Caller);

/// <summary>Spoken text (with an optional voice and language) or an audio file Twilio plays; exactly one.</summary>
public sealed record Greeting(string? Text = null, string? Voice = null, string? Language = null, string? AudioUrl = null);

/// <summary>
/// A number's routing, stored as JSON in <c>user_phone_numbers.routing</c>. <see cref="Default"/> (what a
/// number without settings has) routes exactly as before these settings existed: always "open", to the
/// agent (which without an agent URL is voicemail), with the service's own greeting.
/// </summary>
/// <param name="TimeZone">IANA id the hours and closures are in.</param>
/// <param name="BusinessHours">Per day (monday … sunday); null means open around the clock. A day absent or empty is closed.</param>
/// <param name="Closures">Local dates (yyyy-MM-dd) closed all day, e.g. holidays.</param>
/// <param name="TransferOnDtmfZero">Whether a caller pressing 0 while talking to the agent is transferred to the forward targets.</param>
public sealed record RoutingSettings(
    string TimeZone = "UTC",
    IReadOnlyDictionary<string, IReadOnlyList<OpeningRange>>? BusinessHours = null,
    IReadOnlyList<string>? Closures = null,
    RouteTarget DuringHours = RouteTarget.Agent,
    RouteTarget AfterHours = RouteTarget.Voicemail,
    ForwardSettings? Forward = null,
    Greeting? VoicemailGreeting = null,
    Greeting? AfterHoursGreeting = null,
    bool TransferOnDtmfZero = false)
{
    public static RoutingSettings Default { get; } = new();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The stored JSON (null: the defaults).</summary>
    public static RoutingSettings FromJson(string? json) =>
        json is null ? Default : JsonSerializer.Deserialize<RoutingSettings>(json, Json) ?? Default;

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Enums as their lower-case names (<c>"voicemail"</c>) wherever they are serialized: stored JSON and the API.</summary>
public sealed class LowercaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where T : struct, Enum;
