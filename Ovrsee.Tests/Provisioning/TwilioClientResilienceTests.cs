using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio.Rest;
using Polly.CircuitBreaker;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Tests.Provisioning;

/// <summary>
/// The SDK's REST client on our HttpClient against a faulty Twilio (the in-process double, itself
/// validated by Prism): safe requests are retried, Retry-After is honoured, a purchase is never
/// sent again without first looking whether the number is already ours.
/// </summary>
[Trait("Category", "Slow")]
public class TwilioClientResilienceTests : IAsyncLifetime
{
    private static readonly WebhookEndpoints Webhooks = new(
        "https://aloha.example.com/api/aloha/webhooks/incoming-call",
        "https://aloha.example.com/api/aloha/webhooks/call-status",
        "https://aloha.example.com/health");

    private TwilioDouble _twilio = null!;

    public async Task InitializeAsync() => _twilio = await TwilioDouble.StartAsync(await PrismServer.GetAsync());

    public async Task DisposeAsync()
    {
        Assert.Empty(await _twilio.ContractViolationsAsync());
        await _twilio.DisposeAsync();
    }

    private static string NewNumber() => "+1415" + Random.Shared.Next(2000000, 9999999);

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_then_retried()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        _twilio.Inject(r => r.IsSearch, new TwilioFault.Status(429, "Too Many Requests", RetryAfterSeconds: 1, TwilioCode: 20429));

        var stopwatch = Stopwatch.StartNew();
        var numbers = await Search(host.Client, areaCode: "415");

        Assert.NotEmpty(Assert.IsType<Ok<AvailableNumberList>>(numbers.Result).Value!.Items);
        var searches = _twilio.Requests.Where(r => r.IsSearch).ToList();
        Assert.Equal(2, searches.Count);
        // Retry-After: 1, not the 20 ms backoff the test configured.
        Assert.True(searches[1].At - searches[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {(searches[1].At - searches[0].At).TotalMilliseconds} ms");
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(950));
    }

    [Fact]
    public async Task A_rate_limited_purchase_is_sent_again_because_Twilio_refused_it_before_acting()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.InjectOnCreate(number, new TwilioFault.Status(429, "Too Many Requests", RetryAfterSeconds: 1, TwilioCode: 20429));

        var purchase = await host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default);

        Assert.False(purchase.FoundOnAccount);
        Assert.Equal(2, _twilio.CreatesFor(number));
        Assert.Single(_twilio.Numbers, n => n.PhoneNumber == number);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_we_wait_is_passed_on_instead_of_held()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        _twilio.Inject(r => r.IsSearch, new TwilioFault.Status(429, "Too Many Requests", RetryAfterSeconds: 120, TwilioCode: 20429));

        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TwilioApiException>(() =>
            Search(host.Client));

        Assert.True(error.IsRateLimited);
        Assert.Equal(20429, error.Code);
        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Single(_twilio.Requests, r => r.IsSearch);
        // Not held for the 120 s Twilio asked for (the bound is loose: the machine may be busy).
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_timed_out_lookup_is_retried()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var owned = _twilio.Own(NewNumber());
        _twilio.Inject(r => r.IsList, new TwilioFault.Hang());

        var found = await host.Client.FindIncomingPhoneNumberAsync(owned.PhoneNumber, default);

        Assert.Equal(owned.Sid, found?.Sid);
        Assert.Equal(2, _twilio.Requests.Count(r => r.IsList));
    }

    [Fact]
    public async Task A_5xx_on_a_purchase_is_never_resent_as_is_not_even_by_the_standard_handler()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.InjectOnCreate(number, new TwilioFault.Status(503, "Service Unavailable"));

        var error = await Assert.ThrowsAsync<TwilioApiException>(() => IncomingPhoneNumberResource.CreateAsync(Webhooks.ToCreate(number), host.Client));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(1, _twilio.CreatesFor(number));
    }

    [Fact]
    public async Task A_5xx_after_Twilio_bought_the_number_is_found_on_the_account_not_bought_again()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.InjectOnCreate(number, new TwilioFault.Status(500, "Internal Server Error", After: true));

        var purchase = await host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default);

        Assert.True(purchase.FoundOnAccount);
        Assert.Equal(1, purchase.CreateAttempts);
        Assert.Equal(1, _twilio.CreatesFor(number));
        Assert.Equal(_twilio.Find(number)!.Sid, purchase.Number.Sid);
    }

    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    public async Task A_timed_out_purchase_is_looked_up_then_bought_only_if_missing(bool twilioBoughtIt, int expectedCreates)
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.InjectOnCreate(number, new TwilioFault.Hang(After: twilioBoughtIt));

        var purchase = await host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default);

        Assert.Equal(twilioBoughtIt, purchase.FoundOnAccount);
        Assert.Equal(expectedCreates, _twilio.CreatesFor(number));
        Assert.Single(_twilio.Numbers, n => n.PhoneNumber == number);
        // Looked up before the second attempt, whatever happened.
        var sequence = _twilio.For(number).Select(r => r.IsCreate ? "create" : r.IsList ? "list" : r.Method).ToList();
        Assert.Equal(["create", "list"], sequence.Take(2));
    }

    [Fact]
    public async Task A_dropped_connection_after_buying_is_found_on_the_account()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.InjectOnCreate(number, new TwilioFault.Drop(After: true));

        var purchase = await host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default);

        Assert.True(purchase.FoundOnAccount);
        Assert.Equal(1, _twilio.CreatesFor(number));
    }

    [Fact]
    public async Task A_refusal_is_final_and_not_retried()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.MakeUnavailable(number);

        var error = await Assert.ThrowsAsync<TwilioApiException>(() =>
            host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default));

        Assert.Equal(TwilioApiException.PhoneNumberNotAvailable, error.Code);
        Assert.True(error.IsDefinitive);
        Assert.Equal(1, _twilio.CreatesFor(number));
        Assert.DoesNotContain(_twilio.For(number), r => r.IsList);
    }

    [Fact]
    public async Task Never_confirmed_and_not_on_the_account_is_unconfirmed_not_failed()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        for (var i = 0; i < 3; i++)
        {
            _twilio.InjectOnCreate(number, new TwilioFault.Status(502, "Bad Gateway"));
        }

        var error = await Assert.ThrowsAsync<TwilioPurchaseUnconfirmedException>(() =>
            host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default));

        Assert.Equal(3, error.CreateAttempts);
        Assert.Equal(3, _twilio.CreatesFor(number));
        Assert.DoesNotContain(_twilio.Numbers, n => n.PhoneNumber == number);
    }

    [Fact]
    public async Task Not_available_after_a_lost_answer_is_not_taken_as_a_refusal()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl);
        var number = NewNumber();
        _twilio.InjectOnCreate(number, new TwilioFault.Status(504, "Gateway Timeout"));
        _twilio.MakeUnavailable(number);

        // The first answer was lost; the second says "not available", which after a lost answer
        // can mean "you bought it". Not on the account: unconfirmed, to be looked for again later.
        var error = await Assert.ThrowsAsync<TwilioPurchaseUnconfirmedException>(() =>
            host.Purchaser.PurchaseAsync(Webhooks.ToCreate(number), checkAccountFirst: false, default));

        Assert.Equal(TwilioApiException.PhoneNumberNotAvailable, Assert.IsType<TwilioApiException>(error.InnerException).Code);
        Assert.Equal(2, _twilio.CreatesFor(number));
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_then_fails_fast_without_calling_Twilio()
    {
        using var host = new TwilioClientHost(_twilio.BaseUrl, new Dictionary<string, string?>
        {
            ["Twilio:Resilience:MaxRetryAttempts"] = "1",
            ["Twilio:Resilience:CircuitMinimumThroughput"] = "2",
        });
        _twilio.Inject(r => r.IsSearch, new TwilioFault.Status(503, "Service Unavailable"));
        _twilio.Inject(r => r.IsSearch, new TwilioFault.Status(503, "Service Unavailable"));

        await Assert.ThrowsAsync<TwilioApiException>(() => Search(host.Client));
        await Assert.ThrowsAsync<BrokenCircuitException>(() => Search(host.Client));

        Assert.Equal(2, _twilio.Requests.Count(r => r.IsSearch));
    }

    /// <summary>The Provisioning API's own search, as its endpoint runs it.</summary>
    private static Task<Results<Ok<AvailableNumberList>, ValidationProblem>> Search(
        ITwilioRestClient twilio, string? areaCode = null) =>
        TwilioNumbersApi.SearchAvailableNumbers(twilio, default, country: "US", areaCode: areaCode);
}
