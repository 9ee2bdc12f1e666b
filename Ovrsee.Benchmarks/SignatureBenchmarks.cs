using BenchmarkDotNet.Attributes;
using Ovrsee.PublicUrls;
using Ovrsee.Twilio;

namespace Ovrsee.Benchmarks;

/// <summary>The signature check alone, on a realistic incoming-call body.</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private const string Token = "bench-auth-token-0000000000000000";
    private const string Url = "https://ovrsee.example" + WebhookRoutes.IncomingCall;
    private readonly KeyValuePair<string, string>[] _form = WebhookForms.IncomingCall("CA" + new string('a', 32), "+14155550100", "+15005550006").ToArray();
    private string _signature = "";

    [GlobalSetup]
    public void Setup() => _signature = TwilioSignature.Compute(Token, Url, _form);

    [Benchmark]
    public string Compute() => TwilioSignature.Compute(Token, Url, _form);

    [Benchmark]
    public bool Validate() => TwilioSignature.IsValid(Url, _form, _signature, [Token]);
}

/// <summary>
/// Ours against twilio-csharp's <see cref="global::Twilio.Security.RequestValidator"/> on the same valid and
/// forged incoming-call webhook (the forged one makes both try every URL spelling).
/// </summary>
[MemoryDiagnoser]
public class SignatureValidatorComparison
{
    private const string Token = "bench-auth-token-0000000000000000";
    private const string Url = "https://ovrsee.example" + WebhookRoutes.IncomingCall;
    private readonly KeyValuePair<string, string>[] _form = WebhookForms.IncomingCall("CA" + new string('a', 32), "+14155550100", "+15005550006").ToArray();
    private readonly System.Collections.Specialized.NameValueCollection _sdkForm = new();
    private readonly global::Twilio.Security.RequestValidator _sdk = new(Token);
    private string _valid = "";
    private const string Forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    [GlobalSetup]
    public void Setup()
    {
        _valid = TwilioSignature.Compute(Token, Url, _form);
        foreach (var (name, value) in _form)
        {
            _sdkForm.Add(name, value);
        }
    }

    [Benchmark(Baseline = true)]
    public bool OursValid() => TwilioSignature.IsValid(Url, _form, _valid, [Token]);

    [Benchmark]
    public bool SdkValid() => _sdk.Validate(Url, _sdkForm, _valid);

    [Benchmark]
    public bool OursForged() => TwilioSignature.IsValid(Url, _form, Forged, [Token]);

    [Benchmark]
    public bool SdkForged() => _sdk.Validate(Url, _sdkForm, Forged);
}
