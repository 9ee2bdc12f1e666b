namespace Ovrsee.Tests.Twilio;

/// <summary>Shared literals from /work/shared/twilio/signature-vectors.md.</summary>
internal static class SignatureTestData
{
    public const string Token = "12345";
    public const string U = "https://mycompany.com/myapp.php?foo=1&bar=2";
    public const string JsonBody = "{\"property\": \"value\", \"boolean\": true}";
    public const string JsonBodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    /// <summary>P: deliberately not in sorted order, as in twilio-csharp's test.</summary>
    public static KeyValuePair<string, string>[] P =>
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("From", "+14158675309"),
        new("Digits", "1234"),
        new("To", "+18005551212"),
        new("Caller", "+14158675309"),
    ];

    public static IReadOnlyDictionary<string, KeyValuePair<string, string>[]> ParameterSets { get; } =
        new Dictionary<string, KeyValuePair<string, string>[]>
        {
            ["P"] = P,
            ["none"] = [],
            ["repeated"] =
            [
                new("Sid", "CA123"),
                new("SidAccount", "AC123"),
                new("Digits", "5678"),
                new("Digits", "1234"),
                new("Digits", "1234"),
            ],
            ["docs-example.com"] =
            [
                new("CallSid", "CA1234567890ABCDE"),
                new("Caller", "+14158675310"),
                new("Digits", "1234"),
                new("From", "+14158675310"),
                new("To", "+18005551212"),
            ],
            ["docs-mycompany.com"] =
            [
                new("CallSid", "CA1234567890ABCDE"),
                new("Caller", "+12349013030"),
                new("Digits", "1234"),
                new("From", "+12349013030"),
                new("To", "+18005551212"),
            ],
        };
}
