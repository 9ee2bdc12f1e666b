using BenchmarkDotNet.Attributes;
using Ovrsee.Twilio;

namespace Ovrsee.Benchmarks;

/// <summary>The signature check alone, on a realistic incoming-call body.</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private const string Token = "bench-auth-token-0000000000000000";
    private const string Url = "https://ovrsee.example/api/aloha/webhooks/incoming-call";
    private readonly KeyValuePair<string, string>[] _form = WebhookForms.IncomingCall("CA" + new string('a', 32), "+14155550100", "+15005550006").ToArray();
    private string _signature = "";

    [GlobalSetup]
    public void Setup() => _signature = TwilioSignature.Compute(Token, Url, _form);

    [Benchmark]
    public string Compute() => TwilioSignature.Compute(Token, Url, _form);

    [Benchmark]
    public bool Validate() => TwilioSignature.IsValid(Url, _form, _signature, [Token]);
}
