using Ovrsee.Provisioning.PhoneNumbers;


namespace Ovrsee.Provisioning.WebhookConfiguration;

/// <summary>
/// The answer to "does our /health answer through the public URL?", asked after pointing Twilio
/// there: the most common reason webhooks do not arrive is a URL Twilio cannot reach.
/// </summary>
public sealed record PublicUrlCheck(string Url, bool Reachable, int? Status, string Detail, DateTimeOffset CheckedAt);

/// <summary>Where the number's calls now go, and whether that place answered.</summary>
public sealed record WebhookSetup(
    string VoiceUrl,
    string VoiceMethod,
    string StatusCallbackUrl,
    string StatusCallbackMethod,
    PublicUrlCheck? PublicUrlCheck);

/// <summary>A bought or (re)configured number with its webhooks.</summary>
public sealed record ProvisionedNumber(PhoneNumberDto PhoneNumber, WebhookSetup Webhooks);

public sealed record ConfigureWebhooksRequest(Guid PhoneNumberId);
