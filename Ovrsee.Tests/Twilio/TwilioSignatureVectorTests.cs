using System.Text;
using Ovrsee.Twilio;
using static Ovrsee.Tests.Twilio.SignatureTestData;

namespace Ovrsee.Tests.Twilio;

public class TwilioSignatureVectorTests
{
    /// <summary>url, parameter set, X-Twilio-Signature, expected validity (token 12345).</summary>
    public static TheoryData<string, string, string, bool> FormVectors => new()
    {
        // /work/shared/twilio/signature-vectors.md
        { U, "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true },
        { U, "P", "kvajT1Ptam85bY51eRf/AJRuM3w=", true },
        { "http://mycompany.com/myapp.php?foo=1&bar=2", "P", "0ZXoZLH/DfblKGATFgpif+LLRf4=", true },
        { "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true },
        { "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "P", "CYn1h0gLBdNxDGkKJg6hYohgeD8=", true },
        { U, "P", "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=", false },
        { "https://MyCompany.com/myapp.php?foo=1&bar=2", "P", "g9IN/x4Cft2g517EjYvEvM/W7LU=", true },
        { "https://MyCompany.com/myapp.php?foo=1&bar=2", "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false },
        { U + "&Body=It's+amazing", "P", "TfZzewPq8wqrGlMfyAud8+/IvJ0=", true },
        { U + "&Body=It%27s+amazing", "P", "TfZzewPq8wqrGlMfyAud8+/IvJ0=", true },
        { U, "repeated", "IK+Dwps556ElfBT0I3Rgjkr1wJU=", true },
        { "https://example.com/myapp.php?foo=1&bar=2", "docs-example.com", "L/OH5YylLD5NRKLltdqwSvS0BnU=", true },
        { U, "docs-mycompany.com", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", true },

        // twilio-csharp test/Twilio.Test/Security/RequestValidatorTest.cs and
        // twilio-python tests/unit/test_request_validator.py
        { "http://mycompany.com:1234/myapp.php?foo=1&bar=2", "P", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", true },
        { "https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "P", "PCqOZm8cnu/L6+u5i5fuEd+Iac4=", true },
        { "https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false },
        { "http://MyCompany.com/myapp.php?foo=1&bar=2", "P", "XY7AlKOKL6im4yWyX84gldUrtis=", true },
        { "http://MyCompany.com/myapp.php?foo=1&bar=2", "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false },

        // Signature of another URL's parameters, and of no parameters at all, must not pass.
        { U, "none", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false },
        { "https://mycompany.com/myapp.php?foo=1&bar=3", "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false },
    };

    [Theory]
    [MemberData(nameof(FormVectors))]
    public void Form_vectors_validate_as_published(string url, string parameterSet, string signature, bool expectedValid) =>
        Assert.Equal(expectedValid, TwilioSignature.IsValid(url, ParameterSets[parameterSet], signature, [Token]));

    /// <summary>Vectors whose signature covers the URL exactly as written.</summary>
    public static TheoryData<string, string, string> ComputeVectors => new()
    {
        { U, "P", "RSOYDt4T1cUTdK1PDd93/VVr8B8=" },
        { "https://mycompany.com:443/myapp.php?foo=1&bar=2", "P", "kvajT1Ptam85bY51eRf/AJRuM3w=" },
        { "http://mycompany.com:80/myapp.php?foo=1&bar=2", "P", "0ZXoZLH/DfblKGATFgpif+LLRf4=" },
        { "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "P", "CYn1h0gLBdNxDGkKJg6hYohgeD8=" },
        { "https://MyCompany.com/myapp.php?foo=1&bar=2", "P", "g9IN/x4Cft2g517EjYvEvM/W7LU=" },
        { U + "&Body=It%27s+amazing", "P", "TfZzewPq8wqrGlMfyAud8+/IvJ0=" },
        { U, "repeated", "IK+Dwps556ElfBT0I3Rgjkr1wJU=" },
        { "https://example.com/myapp.php?foo=1&bar=2", "docs-example.com", "L/OH5YylLD5NRKLltdqwSvS0BnU=" },
        { U, "docs-mycompany.com", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" },
        { U + "&bodySHA256=" + JsonBodyHash, "none", "a9nBmqA0ju/hNViExpshrM61xv4=" },
    };

    [Theory]
    [MemberData(nameof(ComputeVectors))]
    public void Compute_reproduces_published_signatures(string url, string parameterSet, string expected) =>
        Assert.Equal(expected, TwilioSignature.Compute(Token, url, ParameterSets[parameterSet]));

    /// <summary>url, body, signature, expected validity.</summary>
    public static TheoryData<string, string, string, bool> JsonVectors => new()
    {
        { U + "&bodySHA256=" + JsonBodyHash, JsonBody, "a9nBmqA0ju/hNViExpshrM61xv4=", true },
        // No bodySHA256 in the URL: the form signature of U must not validate a JSON body.
        { U, JsonBody, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false },
        // Body altered after signing: the URL signature is right, the hash is not.
        { U + "&bodySHA256=" + JsonBodyHash, JsonBody.Replace("true", "false"), "a9nBmqA0ju/hNViExpshrM61xv4=", false },
        // Tampered signature with the right body.
        { U + "&bodySHA256=" + JsonBodyHash, JsonBody, "b9nBmqA0ju/hNViExpshrM61xv4=", false },
        // twilio-csharp RequestValidatorTest.TestValidateWithOnlyHash
        { "https://mycompany.com/myapp.php?bodySHA256=" + JsonBodyHash, JsonBody, "y77kIzt2vzLz71DgmJGsen2scGs=", true },
    };

    [Theory]
    [MemberData(nameof(JsonVectors))]
    public void Json_vectors_validate_as_published(string url, string body, string signature, bool expectedValid) =>
        Assert.Equal(expectedValid, TwilioSignature.IsValidJson(url, Encoding.UTF8.GetBytes(body), signature, [Token]));

    [Fact]
    public void Body_hash_matches_published_value() =>
        Assert.Equal(JsonBodyHash, TwilioSignature.ComputeBodyHash(Encoding.UTF8.GetBytes(JsonBody)));

    /// <summary>
    /// twilio-node spec/unit/webhooks/webhooks.spec.js (token s3cr3t): twilio-node signs the
    /// WHATWG-normalised URL, so a raw quote and %27 must both validate. Literal signatures
    /// computed here over the normalised URL.
    /// </summary>
    [Theory]
    [InlineData("https://example.com/path?test=param'WithQuote", "HkuXLxVQ7zHv9LmGpzlLuGaxhJY=", true)]
    [InlineData("https://example.com/path?test=param%27WithQuote", "HkuXLxVQ7zHv9LmGpzlLuGaxhJY=", true)]
    [InlineData("https://example.com:443/path?test=param", "loLgTitFAoWx57yy5oEU4Hlddzw=", true)]
    [InlineData("https://example.com/path?test=param2", "loLgTitFAoWx57yy5oEU4Hlddzw=", false)]
    public void Twilio_node_url_vectors(string url, string signature, bool expectedValid) =>
        Assert.Equal(expectedValid, TwilioSignature.IsValid(url, [], signature, ["s3cr3t"]));
}
