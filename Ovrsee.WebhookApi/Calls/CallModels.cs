using System.Text.Json;

namespace Ovrsee.WebhookApi.Calls;

/// <param name="Outcome">forwarded, agent, voicemail, rejected, missed or in-progress (migration 0101 says when each applies).</param>
public sealed record CallListItem(
    Guid Id,
    string CallSid,
    string? Direction,
    string Status,
    string? From,
    string? To,
    Guid? PhoneNumberId,
    DateTime? StartedAt,
    DateTime? AnsweredAt,
    DateTime? EndedAt,
    int? DurationSeconds,
    DateTime CreatedAt,
    bool HasVoicemail,
    string Outcome);

public sealed record CallPage(IReadOnlyList<CallListItem> Items, string? NextCursor);

public sealed record CallEvent(string Kind, string? Status, int? SequenceNumber, DateTime OccurredAt, DateTime ReceivedAt, JsonElement Payload);

public sealed record VoicemailJob(string Kind, string State, int Attempts, int MaxAttempts, string? LastError, DateTime RunAfter, DateTime UpdatedAt);

public sealed record VoicemailDetail(
    Guid Id,
    string RecordingSid,
    string RecordingStatus,
    int? DurationSeconds,
    string? Transcript,
    string TranscriptStatus,
    string? TranscriptError,
    JsonElement? Summary,
    string SummaryStatus,
    string? SummaryError,
    string? PlaybackUrl,
    IReadOnlyList<VoicemailJob> Jobs,
    DateTime CreatedAt);

public sealed record CallDetail(CallListItem Call, IReadOnlyList<CallEvent> Timeline, VoicemailDetail? Voicemail);
