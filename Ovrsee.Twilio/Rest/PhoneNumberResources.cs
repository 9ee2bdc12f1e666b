namespace Ovrsee.Twilio.Rest;

/// <summary>Which AvailablePhoneNumbers subresource to search.</summary>
public enum AvailablePhoneNumberType
{
    Local,
    TollFree,
}

/// <param name="CountryCode">ISO 3166-1 alpha-2, e.g. US.</param>
/// <param name="AreaCode">Three digits (US and Canada).</param>
/// <param name="Contains">Twilio's pattern: digits and letters, * for one character.</param>
/// <param name="PageSize">1-1000 in Twilio's API.</param>
public sealed record AvailablePhoneNumberSearch(
    string CountryCode, AvailablePhoneNumberType Type, int? AreaCode = null, string? Contains = null, int PageSize = 20);

/// <summary>One number Twilio offers (the fields of available_phone_number_local / _toll_free we use).</summary>
public sealed class AvailablePhoneNumber
{
    public string? PhoneNumber { get; init; }
    public string? FriendlyName { get; init; }
    public string? Locality { get; init; }
    public string? Region { get; init; }
    public string? PostalCode { get; init; }
    public string? IsoCountry { get; init; }
    public string? AddressRequirements { get; init; }
    public bool? Beta { get; init; }
    public PhoneNumberCapabilities? Capabilities { get; init; }
}

/// <summary>Twilio spells these "voice", "SMS", "MMS" in real answers and lower case in its spec; reading is case-insensitive.</summary>
public sealed class PhoneNumberCapabilities
{
    public bool? Voice { get; init; }
    public bool? Sms { get; init; }
    public bool? Mms { get; init; }
    public bool? Fax { get; init; }
}

/// <summary>A number on the account (api.v2010.account.incoming_phone_number, the fields we use).</summary>
public sealed class IncomingPhoneNumber
{
    public string Sid { get; init; } = "";
    public string? AccountSid { get; init; }
    public string? PhoneNumber { get; init; }
    public string? FriendlyName { get; init; }
    public string? VoiceUrl { get; init; }
    public string? VoiceMethod { get; init; }
    public string? StatusCallback { get; init; }
    public string? StatusCallbackMethod { get; init; }
}

/// <summary>
/// Where Twilio sends a number's calls. Only parameters that CreateIncomingPhoneNumberRequest and
/// UpdateIncomingPhoneNumberRequest declare in Twilio's OpenAPI description; null ones are not sent.
/// There is deliberately no StatusCallbackEvent: numbers have none (for an incoming call Twilio
/// posts the final status to StatusCallback; other events are requested per &lt;Dial&gt; or per
/// outbound Calls request).
/// </summary>
public sealed record IncomingPhoneNumberSettings
{
    public string? VoiceUrl { get; init; }
    public string? VoiceMethod { get; init; }
    public string? StatusCallback { get; init; }
    public string? StatusCallbackMethod { get; init; }
    public string? FriendlyName { get; init; }

    internal IEnumerable<KeyValuePair<string, string>> ToForm()
    {
        if (FriendlyName is not null) yield return new("FriendlyName", FriendlyName);
        if (VoiceUrl is not null) yield return new("VoiceUrl", VoiceUrl);
        if (VoiceMethod is not null) yield return new("VoiceMethod", VoiceMethod);
        if (StatusCallback is not null) yield return new("StatusCallback", StatusCallback);
        if (StatusCallbackMethod is not null) yield return new("StatusCallbackMethod", StatusCallbackMethod);
    }
}

/// <param name="FoundOnAccount">
/// The number was found on the account after an ambiguous failure (or a crash) instead of being
/// confirmed by a create response: Twilio bought it on an attempt whose answer we lost.
/// </param>
/// <param name="CreateAttempts">Create requests sent for this purchase.</param>
public sealed record PurchasedPhoneNumber(IncomingPhoneNumber Number, bool FoundOnAccount, int CreateAttempts);

internal sealed class AvailablePhoneNumberPage
{
    public List<AvailablePhoneNumber>? AvailablePhoneNumbers { get; init; }
}

internal sealed class IncomingPhoneNumberPage
{
    public List<IncomingPhoneNumber>? IncomingPhoneNumbers { get; init; }
}
