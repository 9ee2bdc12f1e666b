using Ovrsee.Routing;

namespace Ovrsee.Provisioning.PhoneNumbers;

/// <summary>A workspace's number as the front end sees it. Released numbers stay for call history.</summary>
/// <param name="LastReconciledAt">When the WebhookApi last compared this number's calls and voicemails with Twilio's in full.</param>
/// <param name="ReconciledRepairs">Records that comparison created or corrected, in total (calls Twilio could not deliver to us).</param>
/// <param name="Routing">Where its calls go (business hours, forwarding, greetings); the defaults when never set.</param>
/// <param name="VoicemailSmsTo">The phone (E.164) texted from this number when someone leaves a voicemail; null: no text.</param>
public sealed record PhoneNumberDto(
    Guid Id,
    string PhoneNumber,
    string? FriendlyName,
    string? TwilioPhoneSid,
    bool IsActive,
    bool VoicemailEnabled,
    DateTimeOffset? WebhooksConfiguredAt,
    DateTimeOffset? ReleasedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastReconciledAt,
    long ReconciledRepairs,
    RoutingSettings Routing,
    string? VoicemailSmsTo);

/// <summary>A PATCH's changes; a *Set flag says the request named the field (null then clears it).</summary>
public sealed record PhoneNumberChange(
    bool? VoicemailEnabled,
    bool FriendlyNameSet,
    string? FriendlyName,
    bool RoutingSet,
    RoutingSettings? Routing,
    bool VoicemailSmsToSet,
    string? VoicemailSmsTo);

public sealed record PhoneNumberList(IReadOnlyList<PhoneNumberDto> Items);

/// <param name="VoicemailEnabled">Whether callers Aloha does not handle can leave a message.</param>
/// <param name="FriendlyName">Our label; null clears it.</param>
/// <param name="Routing">Replaces the number's routing as a whole; null restores the defaults (agent, around the clock).</param>
/// <param name="VoicemailSmsTo">E.164 phone to text when someone leaves a voicemail (sent from this number); null turns the text off.</param>
public sealed record UpdatePhoneNumberRequest(bool? VoicemailEnabled, string? FriendlyName, RoutingSettings? Routing, string? VoicemailSmsTo = null);
