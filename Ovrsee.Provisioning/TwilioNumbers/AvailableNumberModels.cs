namespace Ovrsee.Provisioning.TwilioNumbers;

public sealed record NumberCapabilities(bool Voice, bool Sms, bool Mms);

public sealed record AvailableNumber(
    string PhoneNumber,
    string? FriendlyName,
    string? Locality,
    string? Region,
    string? PostalCode,
    string? IsoCountry,
    string? AddressRequirements,
    NumberCapabilities Capabilities);

public sealed record AvailableNumberList(string Country, string Type, IReadOnlyList<AvailableNumber> Items);
