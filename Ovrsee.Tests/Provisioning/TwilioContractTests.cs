using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio.Rest;

namespace Ovrsee.Tests.Provisioning;

/// <summary>
/// Every request the Twilio client sends, checked against Twilio's own OpenAPI description: Prism
/// (validating) must accept it on the first attempt, and every parameter must be one the operation
/// declares.
/// </summary>
public class TwilioContractTests
{
    private const string Sid = "PN0123456789abcdef0123456789abcdef";
    private const string Number = "+14155550142";

    private static readonly IncomingPhoneNumberSettings Webhooks = new()
    {
        VoiceUrl = "https://aloha.example.com/api/aloha/webhooks/incoming-call",
        VoiceMethod = "POST",
        StatusCallback = "https://aloha.example.com/api/aloha/webhooks/call-status",
        StatusCallbackMethod = "POST",
    };

    [Fact]
    public async Task Search_local_numbers() => await AssertContractAsync(client =>
        client.SearchAvailablePhoneNumbersAsync(new AvailablePhoneNumberSearch("US", AvailablePhoneNumberType.Local, 415, "555", 10), default));

    [Fact]
    public async Task Search_toll_free_numbers() => await AssertContractAsync(client =>
        client.SearchAvailablePhoneNumbersAsync(new AvailablePhoneNumberSearch("US", AvailablePhoneNumberType.TollFree, Contains: "AL*HA", PageSize: 5), default));

    [Fact]
    public async Task Create_buys_with_our_webhooks_and_nothing_the_spec_does_not_declare()
    {
        var sent = await AssertContractAsync(client => client.CreateIncomingPhoneNumberAsync(Number, Webhooks, default));

        var create = Assert.Single(sent);
        Assert.Equal(Number, create.Form("PhoneNumber"));
        Assert.Equal(Webhooks.VoiceUrl, create.Form("VoiceUrl"));
        Assert.Equal(Webhooks.StatusCallback, create.Form("StatusCallback"));
        // Numbers have no StatusCallbackEvent (Calls do): we must not pretend to set one.
        Assert.DoesNotContain("StatusCallbackEvent", TwilioSpec.DeclaredParameters("POST", create.Uri.AbsolutePath));
        Assert.DoesNotContain("StatusCallbackEvent", create.ParameterNames);
    }

    [Fact]
    public async Task Update_repoints_an_existing_number() =>
        await AssertContractAsync(client => client.UpdateIncomingPhoneNumberAsync(Sid, Webhooks, default));

    [Fact]
    public async Task List_by_phone_number() =>
        await AssertContractAsync(client => client.ListIncomingPhoneNumbersAsync(Number, default));

    [Fact]
    public async Task Delete_releases_a_number() =>
        await AssertContractAsync(async client => { await client.DeleteIncomingPhoneNumberAsync(Sid, default); return 0; });

    /// <summary>What a workspace with delete_twilio_recordings sends once our copy is stored.</summary>
    [Fact]
    public async Task Delete_removes_Twilios_copy_of_a_recording()
    {
        var sent = await AssertContractAsync(async client => { await client.DeleteRecordingAsync("RE0123456789abcdef0123456789abcdef", default); return 0; });

        var delete = Assert.Single(sent);
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal($"/2010-04-01/Accounts/{TestServiceEnvironment.AccountSid}/Recordings/RE0123456789abcdef0123456789abcdef.json", delete.Uri.AbsolutePath);
        Assert.Null(delete.Body);
    }

    [Fact]
    public async Task An_api_key_authenticates_as_basic_auth_with_the_key_sid()
    {
        const string keySid = "SK0123456789abcdef0123456789abcdef";
        var sent = await AssertContractAsync(
            client => client.ListIncomingPhoneNumbersAsync(Number, default),
            new Dictionary<string, string?> { ["Twilio:ApiKey"] = keySid, ["Twilio:ApiSecret"] = "fake-api-secret" });

        var header = AuthenticationHeaderValue.Parse(Assert.Single(sent).Authorization!);
        Assert.Equal("Basic", header.Scheme);
        Assert.Equal($"{keySid}:fake-api-secret", Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!)));
    }

    /// <summary>The contract tests are only worth something if Prism refuses what Twilio would.</summary>
    [Fact]
    public async Task Prism_refuses_a_request_Twilio_would_refuse_and_the_client_says_why()
    {
        var prism = await PrismServer.GetAsync();
        using var host = new TwilioClientHost(prism.BaseUrl);

        var error = await Assert.ThrowsAsync<TwilioApiException>(() =>
            host.Client.UpdateIncomingPhoneNumberAsync(Sid, Webhooks with { VoiceMethod = "PATCH" }, default));
        Assert.Equal((HttpStatusCode)422, error.StatusCode);
        Assert.Contains("VoiceMethod", error.Message);

        using var anonymous = new HttpClient { BaseAddress = prism.BaseUrl };
        var unauthenticated = await anonymous.GetAsync($"/2010-04-01/Accounts/{TestServiceEnvironment.AccountSid}/IncomingPhoneNumbers.json");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    private static async Task<IReadOnlyList<SentRequest>> AssertContractAsync<T>(
        Func<TwilioRestClient, Task<T>> call, IDictionary<string, string?>? settings = null)
    {
        var prism = await PrismServer.GetAsync();
        using var host = new TwilioClientHost(prism.BaseUrl, settings);

        await call(host.Client);

        // One attempt: a refusal would have thrown (4xx) or been retried (a GET's 5xx).
        var sent = host.Sent.ToList();
        var request = Assert.Single(sent);
        var declared = TwilioSpec.DeclaredParameters(request.Method, request.Uri.AbsolutePath);
        Assert.All(request.ParameterNames, name => Assert.True(declared.Contains(name),
            $"{request.Method} {TwilioSpec.Template(request.Uri.AbsolutePath)} sends {name}, which Twilio's description does not declare."));
        return sent;
    }
}
