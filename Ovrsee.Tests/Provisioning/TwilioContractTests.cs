using System.Net.Http.Headers;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Tests.Provisioning;

/// <summary>
/// Every request we send to Twilio, as the SDK (twilio-csharp) builds it from our code's options,
/// checked against Twilio's own OpenAPI description: Prism (validating) must accept it, it must be
/// the only attempt, and every parameter must be one the operation declares.
/// </summary>
/// <remarks>
/// The requests go to the Twilio double, which has Prism validate each one and answers with
/// Twilio-shaped JSON: Prism's own answers (generated from the schemas, or the description's
/// examples, several of which break its schemas) are not something the SDK can read, and what is
/// under test is the request. Nothing depends on how fast Prism is: it validates off the answer
/// path, and the attempt timeout is far beyond any answer (a slow Prism on a busy machine once
/// timed out a 1 s attempt and the retried update failed the "one attempt" assertion).
/// </remarks>
[Trait("Category", "Slow")]
public class TwilioContractTests
{
    private const string Sid = "PN0123456789abcdef0123456789abcdef";
    private const string Number = "+14155550142";

    private static readonly WebhookEndpoints Webhooks = new(
        // With the connection overrides, as WebhookTargets builds them: Twilio's description must accept the fragments too.
        "https://aloha.example.com/api/aloha/webhooks/incoming-call" + WebhookTargets.IncomingCallOverrides,
        "https://aloha.example.com/api/aloha/webhooks/call-status" + WebhookTargets.CallStatusOverrides,
        "https://aloha.example.com/health");

    private static readonly Dictionary<string, string?> PatientResilience = new()
    {
        ["Twilio:Resilience:AttemptTimeout"] = "00:02:00",
        ["Twilio:Resilience:TotalTimeout"] = "00:05:00",
    };

    [Theory]
    [InlineData("local", "415", "555", "10")]
    [InlineData("tollfree", null, "AL*HA", "5")]
    [InlineData("mobile", null, null, "3")]
    public async Task Search_available_numbers_as_the_API_asks(string type, string? areaCode, string? contains, string limit)
    {
        var sent = await AssertContractAsync(async (client, _) =>
        {
            var result = await TwilioNumbersApi.SearchAvailableNumbers(client, default, "US", areaCode, contains, type, limit);
            Assert.NotEmpty(Assert.IsType<Ok<AvailableNumberList>>(result.Result).Value!.Items);
        });

        var search = Assert.Single(sent);
        Assert.Equal("true", search.Query("VoiceEnabled"));
        Assert.Equal(limit, search.Query("PageSize"));
    }

    [Fact]
    public async Task Create_buys_with_our_webhooks_and_nothing_the_spec_does_not_declare()
    {
        var sent = await AssertContractAsync((client, _) => IncomingPhoneNumberResource.CreateAsync(Webhooks.ToCreate(Number), client));

        var create = Assert.Single(sent);
        Assert.Equal(Number, create.Form("PhoneNumber"));
        Assert.Equal(Webhooks.VoiceUrl, create.Form("VoiceUrl"));
        Assert.Equal("POST", create.Form("VoiceMethod"));
        Assert.Equal(Webhooks.StatusCallbackUrl, create.Form("StatusCallback"));
        // Numbers have no StatusCallbackEvent (Calls do): we must not pretend to set one.
        Assert.DoesNotContain("StatusCallbackEvent", TwilioSpec.DeclaredParameters("POST", create.Uri.AbsolutePath));
        Assert.DoesNotContain("StatusCallbackEvent", create.ParameterNames);
    }

    [Fact]
    public async Task Update_repoints_an_existing_number() =>
        await AssertContractAsync((client, twilio) => IncomingPhoneNumberResource.UpdateAsync(Webhooks.ToUpdate(twilio.Own(Number).Sid), client));

    [Fact]
    public async Task List_by_phone_number()
    {
        var sent = await AssertContractAsync(async (client, twilio) =>
        {
            var owned = twilio.Own(Number);
            Assert.Equal(owned.Sid, (await client.FindIncomingPhoneNumberAsync(Number))?.Sid);
        });
        Assert.Equal(Number, Assert.Single(sent).Query("PhoneNumber"));
    }

    [Fact]
    public async Task Delete_releases_a_number() =>
        await AssertContractAsync(async (client, twilio) => Assert.True(await IncomingPhoneNumberResource.DeleteAsync(twilio.Own(Number).Sid, client: client)));

    /// <summary>What a workspace with delete_twilio_recordings sends once our copy is stored.</summary>
    [Fact]
    public async Task Delete_removes_Twilios_copy_of_a_recording()
    {
        const string recordingSid = "RE0123456789abcdef0123456789abcdef";
        var sent = await AssertContractAsync(async (client, twilio) =>
        {
            twilio.AddRecording(new DoubleRecording { Sid = recordingSid, CallSid = "CA" + new string('0', 32), DateCreated = DateTimeOffset.UtcNow });
            Assert.True(await RecordingResource.DeleteAsync(recordingSid, client: client));
        });

        var delete = Assert.Single(sent);
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal($"/2010-04-01/Accounts/{TestServiceEnvironment.AccountSid}/Recordings/RE0123456789abcdef0123456789abcdef.json", delete.Uri.AbsolutePath);
        Assert.True(string.IsNullOrEmpty(delete.Body), "a DELETE carries no form");
    }

    [Fact]
    public async Task An_api_key_authenticates_as_basic_auth_with_the_key_sid()
    {
        const string keySid = "SK0123456789abcdef0123456789abcdef";
        var sent = await AssertContractAsync(
            (client, _) => client.FindIncomingPhoneNumberAsync(Number),
            new Dictionary<string, string?> { ["Twilio:ApiKey"] = keySid, ["Twilio:ApiSecret"] = "fake-api-secret" },
            apiKey: (keySid, "fake-api-secret"));

        var request = Assert.Single(sent);
        var header = AuthenticationHeaderValue.Parse(request.Authorization!);
        Assert.Equal("Basic", header.Scheme);
        Assert.Equal($"{keySid}:fake-api-secret", Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!)));
        // The key authenticates; the account in the path stays the Account SID.
        Assert.Contains($"/Accounts/{TestServiceEnvironment.AccountSid}/", request.Uri.AbsolutePath);
    }

    /// <summary>The contract tests are only worth something if Prism refuses what Twilio would.</summary>
    [Fact]
    public async Task Prism_refuses_a_request_Twilio_would_refuse_and_the_client_says_why()
    {
        var prism = await PrismServer.GetAsync();
        using var host = new TwilioClientHost(prism.BaseUrl, PatientResilience);

        var wrongMethod = Webhooks.ToUpdate(Sid);
        wrongMethod.VoiceMethod = global::Twilio.Http.HttpMethod.Put;
        var error = await Assert.ThrowsAsync<TwilioApiException>(() => IncomingPhoneNumberResource.UpdateAsync(wrongMethod, host.Client));
        Assert.Equal((HttpStatusCode)422, error.StatusCode);
        Assert.Contains("VoiceMethod", error.Message);
        Assert.False(error.IsRateLimited);

        using var anonymous = new HttpClient { BaseAddress = prism.BaseUrl };
        var unauthenticated = await anonymous.GetAsync($"/2010-04-01/Accounts/{TestServiceEnvironment.AccountSid}/IncomingPhoneNumbers.json");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    private static async Task<IReadOnlyList<SentRequest>> AssertContractAsync(
        Func<ITwilioRestClient, TwilioDouble, Task> call, IDictionary<string, string?>? settings = null, (string, string)? apiKey = null)
    {
        await using var twilio = await TwilioDouble.StartAsync(await PrismServer.GetAsync(), apiKey);
        var configuration = new Dictionary<string, string?>(PatientResilience);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }
        using var host = new TwilioClientHost(twilio.BaseUrl, configuration);

        await call(host.Client, twilio);

        Assert.Empty(await twilio.ContractViolationsAsync());

        // One attempt: a refusal would have thrown (4xx) or been retried (a GET's 5xx).
        var sent = host.Sent.ToList();
        var request = Assert.Single(sent);
        Assert.StartsWith("twilio-csharp/", request.UserAgent);
        var declared = TwilioSpec.DeclaredParameters(request.Method, request.Uri.AbsolutePath);
        Assert.All(request.ParameterNames, name => Assert.True(declared.Contains(name),
            $"{request.Method} {TwilioSpec.Template(request.Uri.AbsolutePath)} sends {name}, which Twilio's description does not declare."));
        return sent;
    }
}
