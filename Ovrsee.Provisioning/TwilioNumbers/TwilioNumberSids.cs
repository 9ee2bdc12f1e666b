using Ovrsee.Provisioning.PhoneNumbers;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;

namespace Ovrsee.Provisioning.TwilioNumbers;

public static class TwilioNumberSids
{
    /// <summary>
    /// The number's SID in Twilio: the one we recorded, or else looked up by number on the account
    /// (rows written without one, such as the AppHost's dev seed). Null: not on the account.
    /// </summary>
    public static async Task<string?> SidOfAsync(this ITwilioRestClient twilio, PhoneNumberDto number, CancellationToken cancellationToken) =>
        number.TwilioPhoneSid ?? (await twilio.FindIncomingPhoneNumberAsync(number.PhoneNumber, cancellationToken))?.Sid;
}
