using System.Text;
using Ovrsee.Twilio;
using static Ovrsee.Tests.Twilio.SignatureTestData;

namespace Ovrsee.Tests.Twilio;

public class TwilioSignatureBehaviourTests
{
    private const string Valid = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    [Fact]
    public void Rotation_accepts_a_signature_made_with_the_second_token()
    {
        Assert.True(TwilioSignature.IsValid(U, P, Valid, ["new-token-not-yet-used", Token]));
        Assert.False(TwilioSignature.IsValid(U, P, Valid, ["new-token-not-yet-used"]));
    }

    [Fact]
    public void Rotation_applies_to_json_bodies_too() =>
        Assert.True(TwilioSignature.IsValidJson(
            U + "&bodySHA256=" + JsonBodyHash, Encoding.UTF8.GetBytes(JsonBody), "a9nBmqA0ju/hNViExpshrM61xv4=", ["other", Token]));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B8")] // padding dropped
    [InlineData(" RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("rsoydt4t1cutdk1pdd93/vvr8b8=")]
    public void Malformed_or_missing_signatures_are_invalid(string? signature) =>
        Assert.False(TwilioSignature.IsValid(U, P, signature, [Token]));

    [Fact]
    public void No_tokens_means_nothing_is_valid() =>
        Assert.False(TwilioSignature.IsValid(U, P, Valid, []));

    [Fact]
    public void Tampered_parameter_value_is_invalid()
    {
        var tampered = P.Select(p => p.Key == "Digits" ? new KeyValuePair<string, string>("Digits", "9999") : p);
        Assert.False(TwilioSignature.IsValid(U, tampered, Valid, [Token]));
    }

    [Fact]
    public void Parameter_names_sort_ordinally_not_culturally()
    {
        // Ordinal puts "Z" before "a"; a culture-aware sort would not.
        KeyValuePair<string, string>[] parameters = [new("a", "1"), new("Z", "2")];
        var signature = TwilioSignature.Compute(Token, U, parameters);
        Assert.Equal(TwilioSignature.Compute(Token, U + "Z2a1", []), signature);
    }

    [Fact]
    public void Credentials_are_stripped_before_signing()
    {
        // Brief and signature-vectors.md: credentials are not part of what Twilio signs.
        // (twilio-csharp's TestValidateCredentialsArePreserved signs them; we deliberately do not.)
        const string withCredentials = "http://username:password@MyCompany.com/myapp.php?foo=1&bar=2";
        Assert.True(TwilioSignature.IsValid(withCredentials, P, "XY7AlKOKL6im4yWyX84gldUrtis=", [Token]));
        Assert.False(TwilioSignature.IsValid(withCredentials, P, "PJ08CxXr7KLPjEQCTc8LkUSMwSM=", [Token]));
        Assert.Equal("XY7AlKOKL6im4yWyX84gldUrtis=", TwilioSignature.Compute(Token, withCredentials, P));
    }

    [Fact]
    public void Json_without_body_hash_parameter_is_invalid_even_with_the_right_url_signature()
    {
        var signatureOfBareUrl = TwilioSignature.Compute(Token, U, []);
        Assert.False(TwilioSignature.IsValidJson(U, Encoding.UTF8.GetBytes(JsonBody), signatureOfBareUrl, [Token]));
    }

    [Fact]
    public void WebSocket_handshake_also_tries_a_trailing_slash()
    {
        const string configured = "wss://example.com/media";
        var signedWithSlash = TwilioSignature.Compute(Token, "wss://example.com/media/", []);
        Assert.Equal("T+WBXwUXC0/CyoZ1DA+p9ilZORs=", signedWithSlash);

        Assert.False(TwilioSignature.IsValid(configured, [], signedWithSlash, [Token]));
        Assert.True(TwilioSignature.IsValid(configured, [], signedWithSlash, [Token], alsoTryTrailingSlash: true));
        Assert.True(TwilioSignature.IsValidWebSocketHandshake(configured, signedWithSlash, [Token]));
    }

    [Fact]
    public void Trailing_slash_goes_before_the_query()
    {
        var signed = TwilioSignature.Compute(Token, "wss://example.com/media/?callId=42", []);
        Assert.Equal("RbHLmzPpiTpeX9csJmZXIfZl7BI=", signed);
        Assert.True(TwilioSignature.IsValidWebSocketHandshake("wss://example.com/media?callId=42", signed, [Token]));
    }

    [Fact]
    public void Websocket_default_port_is_toggled_like_https()
    {
        var signed = TwilioSignature.Compute(Token, "wss://example.com:443/media", []);
        Assert.True(TwilioSignature.IsValidWebSocketHandshake("wss://example.com/media", signed, [Token]));
    }

    [Fact]
    public void Ipv6_host_port_is_toggled_without_touching_the_address()
    {
        var signed = TwilioSignature.Compute(Token, "http://[::1]/hook", P);
        Assert.True(TwilioSignature.IsValid("http://[::1]:80/hook", P, signed, [Token]));
    }

    [Fact]
    public void Non_ascii_parameters_are_signed_as_utf8()
    {
        KeyValuePair<string, string>[] parameters = [new("SpeechResult", "José ☎ 😀")];
        var signature = TwilioSignature.Compute(Token, U, parameters);
        Assert.True(TwilioSignature.IsValid(U, parameters, signature, [Token]));
        Assert.Equal(TwilioSignature.Compute(Token, U + "SpeechResultJosé ☎ 😀", []), signature);
    }
}
