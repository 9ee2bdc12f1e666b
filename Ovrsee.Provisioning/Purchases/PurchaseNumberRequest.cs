namespace Ovrsee.Provisioning.Purchases;

/// <param name="PhoneNumber">E.164, as listed by available-numbers, e.g. +14155550123.</param>
/// <param name="FriendlyName">Our label for it, up to 64 characters.</param>
public sealed record PurchaseNumberRequest(string PhoneNumber, string? FriendlyName = null);
