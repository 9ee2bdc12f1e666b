using Twilio.Base;
using Twilio.Clients;
using Twilio.Http;
using HttpMethod = Twilio.Http.HttpMethod;
using Twilio.Rest;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// Twilio's list endpoints one page at a time, asynchronously. The SDK's own paging
/// (<c>ResourceSet</c> auto-paging, <c>NextPage</c>) fetches each further page synchronously,
/// blocking a thread on I/O; here every page is one awaited request through our client, and the
/// caller holds the position (the next page's request), so a rate-limited page is retried
/// without starting the list over. Query parameters are serialised by the SDK's own options
/// classes, so they are what Twilio's description declares.
/// </summary>
public static class TwilioPages
{
    /// <summary>The first page of the account's calls matching <paramref name="options"/>.</summary>
    public static Request FirstPage(ITwilioRestClient twilio, ReadCallOptions options) =>
        List(twilio, options.PathAccountSid, "Calls.json", options.GetParams());

    /// <summary>The first page of the account's recordings matching <paramref name="options"/>.</summary>
    public static Request FirstPage(ITwilioRestClient twilio, ReadRecordingOptions options) =>
        List(twilio, options.PathAccountSid, "Recordings.json", options.GetParams());

    public static async Task<Page<CallResource>> ReadCallsAsync(this ITwilioRestClient twilio, Request page, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var response = await twilio.RequestAsync(page);
        return Page<CallResource>.FromJson("calls", response.Content);
    }

    public static async Task<Page<RecordingResource>> ReadRecordingsAsync(this ITwilioRestClient twilio, Request page, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var response = await twilio.RequestAsync(page);
        return Page<RecordingResource>.FromJson("recordings", response.Content);
    }

    /// <summary>The request for the page after <paramref name="page"/>, or null on the last page.</summary>
    public static Request? Next<T>(Page<T> page) where T : Resource =>
        page.HasNextPage() ? new Request(HttpMethod.Get, page.GetNextPageUrl(Domain.Api)) : null;

    private static Request List(ITwilioRestClient twilio, string? accountSid, string resource, List<KeyValuePair<string, string>> query) =>
        new(HttpMethod.Get, Domain.Api, $"/2010-04-01/Accounts/{accountSid ?? twilio.AccountSid}/{resource}", queryParams: query);
}
