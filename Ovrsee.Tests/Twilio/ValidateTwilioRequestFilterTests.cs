using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Ovrsee.Twilio;
using Ovrsee.Twilio.AspNetCore;

namespace Ovrsee.Tests.Twilio;

/// <summary>
/// The filter over real HTTP. Each rejection test also asserts the handler never ran:
/// a status code alone could come from the handler itself.
/// </summary>
public class ValidateTwilioRequestFilterTests
{
    private const string Query = "?foo=1&bar=2";
    private const string Caller = "+14155551234";

    private static KeyValuePair<string, string>[] VoiceParameters =>
    [
        new("CallSid", "CA1234567890ABCDE1234567890ABCDEF"),
        new("From", Caller),
        new("To", "+18005551212"),
        new("SpeechResult", "I'd like to book a cut & color, please"),
        new("StirVerstat", "TN-Validation-Passed-A"),
        new("Digits", "5678"),
        new("Digits", "1234"),
    ];

    private static HttpRequestMessage SignedPost(
        string signedUrl, string pathAndQuery, KeyValuePair<string, string>[] parameters, string token = WebhookTestHost.AuthToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add(TwilioSignature.HeaderName, TwilioSignature.Compute(token, signedUrl, parameters));
        return request;
    }

    [Fact]
    public async Task Valid_signature_reaches_the_handler_with_parsed_parameters()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath + Query), WebhookTestHost.VoicePath + Query, VoiceParameters);
        request.Headers.Add(TwilioRequest.IdempotencyTokenHeader, "idem-123");
        var sentBody = await request.Content!.ReadAsByteArrayAsync();

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Say>Thanks for calling.</Say></Response>",
            await response.Content.ReadAsStringAsync());

        var twilio = Assert.Single(host.Handled);
        Assert.Equal(Caller, twilio["From"]);
        Assert.Equal("I'd like to book a cut & color, please", twilio["SpeechResult"]);
        Assert.True(twilio.TryGetValue("CallSid", out var callSid));
        Assert.Equal("CA1234567890ABCDE1234567890ABCDEF", callSid);
        Assert.Equal(["5678", "1234"], twilio.GetValues("Digits"));
        Assert.Equal(VoiceParameters, twilio.Parameters);
        Assert.Null(twilio["from"]); // names are case-sensitive, as Twilio sends them
        Assert.Equal(sentBody, twilio.RawBody.ToArray());
        Assert.Equal("idem-123", twilio.IdempotencyToken);
        Assert.False(twilio.IsJson);
        Assert.Equal(host.LocalUrl(WebhookTestHost.VoicePath + Query), twilio.SignedUrl);
    }

    [Fact]
    public async Task Route_group_is_protected_too()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var unsigned = await host.Client.PostAsync(WebhookTestHost.GroupedPath, new FormUrlEncodedContent(VoiceParameters));
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Empty(host.Handled);

        using var signed = await host.Client.SendAsync(
            SignedPost(host.LocalUrl(WebhookTestHost.GroupedPath), WebhookTestHost.GroupedPath, VoiceParameters));
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Single(host.Handled);
    }

    [Fact]
    public async Task Missing_signature_is_403_and_the_handler_does_not_run()
    {
        await using var host = await WebhookTestHost.StartAsync();

        using var response = await host.Client.PostAsync(WebhookTestHost.VoicePath + Query, new FormUrlEncodedContent(VoiceParameters));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertSignatureProblemAsync(response, "No X-Twilio-Signature header");
        Assert.Empty(host.Handled);
    }

    /// <summary>A short Problem Details body saying which check failed, never the expected signature.</summary>
    private static async Task AssertSignatureProblemAsync(HttpResponseMessage response, string detail)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Equal("Twilio signature rejected", problem.GetProperty("title").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(WebhookTestHost.AuthToken, problem.GetRawText());
    }

    [Fact]
    public async Task Forged_signature_is_403_and_logged_without_secrets_or_the_full_number()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var forged = SignedPost(
            host.LocalUrl(WebhookTestHost.VoicePath + Query), WebhookTestHost.VoicePath + Query, VoiceParameters, token: "attacker-guess");

        using var response = await host.Client.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertSignatureProblemAsync(response, "does not match this request signed for http://");
        Assert.Empty(host.Handled);

        var warning = Assert.Single(host.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("signature does not match"));
        Assert.Contains(PhoneNumberMask.Mask(Caller), warning.Message);
        Assert.Contains("CA1234567890ABCDE1234567890ABCDEF", warning.Message);
        Assert.All(host.Logs.Entries, e =>
        {
            Assert.DoesNotContain(WebhookTestHost.AuthToken, e.Message);
            Assert.DoesNotContain(Caller, e.Message);
        });
    }

    [Fact]
    public async Task Parameter_tampered_after_signing_is_403()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var signedUrl = host.LocalUrl(WebhookTestHost.VoicePath + Query);
        var request = SignedPost(signedUrl, WebhookTestHost.VoicePath + Query, VoiceParameters);
        request.Content = new FormUrlEncodedContent(VoiceParameters.Append(new("Extra", "injected")));

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Fact]
    public async Task Query_tampered_after_signing_is_403()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath + Query), WebhookTestHost.VoicePath + "?foo=1&bar=3", VoiceParameters);

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/xml")]
    public async Task Unsupported_content_type_is_415(string contentType)
    {
        await using var host = await WebhookTestHost.StartAsync();
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath), WebhookTestHost.VoicePath, VoiceParameters);
        var body = await request.Content!.ReadAsByteArrayAsync();
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Fact]
    public async Task Form_content_type_with_charset_is_accepted()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath), WebhookTestHost.VoicePath, VoiceParameters);
        request.Content!.Headers.ContentType!.CharSet = "utf-8";

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(host.Handled);
    }

    [Fact]
    public async Task Json_without_body_hash_in_the_url_is_415()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookTestHost.VoicePath)
        {
            Content = new StringContent("{\"CallSid\":\"CA1\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(TwilioSignature.HeaderName, TwilioSignature.Compute(WebhookTestHost.AuthToken, host.LocalUrl(WebhookTestHost.VoicePath), []));

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Fact]
    public async Task Json_with_matching_body_hash_reaches_the_handler_and_a_changed_body_does_not()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var body = Encoding.UTF8.GetBytes("{\"CallSid\":\"CA1\",\"Caller\":\"+12349013030\"}");
        var pathAndQuery = WebhookTestHost.VoicePath + "?bodySHA256=" + TwilioSignature.ComputeBodyHash(body);
        var signature = TwilioSignature.Compute(WebhookTestHost.AuthToken, host.LocalUrl(pathAndQuery), []);

        HttpRequestMessage JsonPost(byte[] content)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(TwilioSignature.HeaderName, signature);
            return request;
        }

        using var tampered = await host.Client.SendAsync(JsonPost(Encoding.UTF8.GetBytes("{\"CallSid\":\"CA2\",\"Caller\":\"+12349013030\"}")));
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Empty(host.Handled);

        using var genuine = await host.Client.SendAsync(JsonPost(body));
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        var twilio = Assert.Single(host.Handled);
        Assert.True(twilio.IsJson);
        Assert.Empty(twilio.Parameters);
        Assert.Equal(body, twilio.RawBody.ToArray());
    }

    [Fact]
    public async Task Body_over_64KB_is_413_by_content_length()
    {
        await using var host = await WebhookTestHost.StartAsync();
        KeyValuePair<string, string>[] huge = [new("Body", new string('a', 70_000))];
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath), WebhookTestHost.VoicePath, huge);

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Fact]
    public async Task Body_over_64KB_is_413_even_without_content_length()
    {
        await using var host = await WebhookTestHost.StartAsync();
        KeyValuePair<string, string>[] huge = [new("Body", new string('a', 70_000))];
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath), WebhookTestHost.VoicePath, huge);
        request.Content = new ChunkedContent(await request.Content!.ReadAsByteArrayAsync(), "application/x-www-form-urlencoded");

        using var response = await host.Client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Fact]
    public async Task Body_of_exactly_the_limit_is_accepted()
    {
        await using var host = await WebhookTestHost.StartAsync(new() { ["Twilio:RequestValidation:MaxBodyBytes"] = "1000" });
        KeyValuePair<string, string>[] exact = [new("Body", new string('a', 1000 - "Body=".Length))];
        var request = SignedPost(host.LocalUrl(WebhookTestHost.VoicePath), WebhookTestHost.VoicePath, exact);
        request.Content = new ChunkedContent(await request.Content!.ReadAsByteArrayAsync(), "application/x-www-form-urlencoded");

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(host.Handled);
    }

    [Theory]
    [InlineData("From=%2B1415%ZZ")]
    [InlineData("From=%")]
    [InlineData("From=%C3%28")] // percent-decodes to invalid UTF-8
    public async Task Malformed_form_is_400(string body)
    {
        await using var host = await WebhookTestHost.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, WebhookTestHost.VoicePath)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add(TwilioSignature.HeaderName, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(host.Handled);
    }

    [Fact]
    public async Task Public_base_url_is_what_the_signature_must_cover()
    {
        await using var host = await WebhookTestHost.StartAsync(new() { ["Twilio:RequestValidation:BaseUrlOverride"] = "https://example.ngrok.app" });
        var pathAndQuery = WebhookTestHost.VoicePath + Query;

        using var signedForLocal = await host.Client.SendAsync(SignedPost(host.LocalUrl(pathAndQuery), pathAndQuery, VoiceParameters));
        Assert.Equal(HttpStatusCode.Forbidden, signedForLocal.StatusCode);
        Assert.Empty(host.Handled);

        using var signedForPublic = await host.Client.SendAsync(SignedPost("https://example.ngrok.app" + pathAndQuery, pathAndQuery, VoiceParameters));
        Assert.Equal(HttpStatusCode.OK, signedForPublic.StatusCode);
        Assert.Equal("https://example.ngrok.app" + pathAndQuery, Assert.Single(host.Handled).SignedUrl);
    }

    [Fact]
    public async Task Query_string_is_signed_exactly_as_sent()
    {
        await using var host = await WebhookTestHost.StartAsync();
        const string pathAndQuery = WebhookTestHost.VoicePath + "?greeting=hello%20there&who=it%27s+me";

        using var response = await host.Client.SendAsync(SignedPost(host.LocalUrl(pathAndQuery), pathAndQuery, VoiceParameters));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(host.Handled);
    }

    [Fact]
    public async Task Additional_auth_token_is_accepted_during_rotation()
    {
        await using var host = await WebhookTestHost.StartAsync(new() { ["Twilio:AdditionalAuthTokens:0"] = "fedcba9876543210fedcba9876543210" });

        using var response = await host.Client.SendAsync(SignedPost(
            host.LocalUrl(WebhookTestHost.VoicePath), WebhookTestHost.VoicePath, VoiceParameters, token: "fedcba9876543210fedcba9876543210"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(host.Handled);
    }

    [Fact]
    public async Task Host_without_an_auth_token_refuses_to_start()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => WebhookTestHost.StartAsync(new() { ["Twilio:AuthToken"] = "" }));

        Assert.Contains("TWILIO_AUTH_TOKEN", failure.Message);
    }
}
