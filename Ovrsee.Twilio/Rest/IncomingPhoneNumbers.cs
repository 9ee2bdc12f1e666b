using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace Ovrsee.Twilio.Rest;

public static class IncomingPhoneNumbers
{
    /// <summary>
    /// The account's number that is exactly <paramref name="phoneNumber"/> (E.164), or null.
    /// Twilio's PhoneNumber filter also matches partial numbers, hence the exact comparison.
    /// </summary>
    public static async Task<IncomingPhoneNumberResource?> FindIncomingPhoneNumberAsync(
        this ITwilioRestClient twilio, string phoneNumber, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var numbers = await IncomingPhoneNumberResource.ReadAsync(
            new ReadIncomingPhoneNumberOptions { PhoneNumber = new PhoneNumber(phoneNumber), PageSize = 20, Limit = 20 }, twilio);
        // An exact number is on the first page.
        return numbers.FirstPageOnly().FirstOrDefault(n => string.Equals(n.PhoneNumber?.ToString(), phoneNumber, StringComparison.Ordinal));
    }
}
