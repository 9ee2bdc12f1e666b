using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// What voicemail_messages.summary holds (camelCase JSON). <see cref="Source"/> says whether a
/// model wrote it ("model") or it was extracted from the transcript without one ("extractive").
/// </summary>
public sealed record VoicemailSummary(
    string Summary,
    string? CallerName,
    string? Intent,
    string Urgency,
    string? CallbackNumber,
    string? CallerNumber,
    string Source,
    string? Model)
{
    public const string FromModel = "model";
    public const string Extractive = "extractive";

    public static readonly string[] UrgencyLevels = ["low", "normal", "high", "urgent"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string NormalizeUrgency(string? urgency) =>
        UrgencyLevels.FirstOrDefault(level => string.Equals(level, urgency?.Trim(), StringComparison.OrdinalIgnoreCase)) ?? "normal";
}
