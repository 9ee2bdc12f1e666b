using System.Collections.Specialized;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Ovrsee.Twilio;
using Twilio.Security;
using Xunit.Abstractions;

namespace Ovrsee.Tests.Twilio;

/// <summary>
/// Our validator (<see cref="TwilioSignature"/>, on the hot path) against the SDK's
/// <see cref="RequestValidator"/> on random requests: random tokens, hosts, ports, paths, query
/// strings, form parameters (unicode, '+', '&amp;', '=', '%', empty values) and JSON bodies bound by
/// bodySHA256, signed the way Twilio signs (computed here independently of both validators) over
/// one of the URL spellings Twilio uses, or not signed at all (a forged or stale signature).
/// Both must agree on every request, except where the SDK is known to be wrong, each a named
/// class below; on those ours must still be right.
/// </summary>
public class SignatureDifferentialTests(ITestOutputHelper output)
{
    private const int Requests = 100_000;
    private const int Seed = 20261201;

    /// <summary>Where RequestValidator 8.2.0 is known to be wrong (signature-vectors.md), so disagreement is expected.</summary>
    private enum KnownSdkWrong
    {
        None,
        /// <summary>A name sent twice: its NameValueCollection overload signs "Digits5678,1234" instead of each distinct value.</summary>
        RepeatedKeys,
        /// <summary>Raw ' " &lt; &gt; space or non-ASCII in the query: Twilio signs them percent-encoded ("It's+amazing"); the SDK signs them as given.</summary>
        QueryTwilioPercentEncodes,
        /// <summary>user:pass@ in the URL: not part of what Twilio signs; the SDK signs it as given.</summary>
        CredentialsInUrl,
        /// <summary>
        /// An explicit default port (https://host:443/…): Uri reports no port for it, so the SDK's
        /// "toggle the port" variant adds :443 again and never tries the URL without it, which is
        /// how Twilio signs HTTPS voice callbacks. Found by this test.
        /// </summary>
        ExplicitDefaultPort,
    }

    [Fact]
    public void Ours_and_the_SDK_agree_on_100000_random_requests_wherever_the_SDK_is_not_known_wrong()
    {
        var random = new Random(Seed);
        var agreements = 0;
        var accepted = 0;
        var disagreementsByClass = new Dictionary<KnownSdkWrong, int>();
        var unexpected = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        var oursTime = new Stopwatch();
        var sdkTime = new Stopwatch();

        for (var i = 0; i < Requests; i++)
        {
            var request = RandomRequest(random);
            oursTime.Start();
            var ours = request.JsonBody is { } json
                ? TwilioSignature.IsValidJson(request.Url, json, request.Signature, [request.Token])
                : TwilioSignature.IsValid(request.Url, request.Form, request.Signature, [request.Token]);
            oursTime.Stop();
            sdkTime.Start();
            var validator = new RequestValidator(request.Token);
            var sdk = request.JsonBody is { } body
                ? validator.Validate(request.Url, Encoding.UTF8.GetString(body), request.Signature)
                : validator.Validate(request.Url, ToNameValueCollection(request.Form), request.Signature);
            sdkTime.Stop();

            // Ours must be right on every request, whatever the SDK says.
            if (ours != request.SignedByTwilio)
            {
                unexpected.Add($"ours={ours}, expected {request.SignedByTwilio}: {request}");
            }
            if (ours)
            {
                accepted++;
            }
            if (ours == sdk)
            {
                agreements++;
            }
            else if (request.KnownSdkWrong == KnownSdkWrong.None)
            {
                unexpected.Add($"ours={ours}, sdk={sdk}: {request}");
            }
            else
            {
                disagreementsByClass[request.KnownSdkWrong] = disagreementsByClass.GetValueOrDefault(request.KnownSdkWrong) + 1;
            }
        }

        output.WriteLine($"{Requests} requests (seed {Seed}) in {stopwatch.Elapsed.TotalSeconds:F1} s: {agreements} agreements, {accepted} accepted by ours " +
            $"(ours {oursTime.Elapsed.TotalSeconds:F2} s, SDK {sdkTime.Elapsed.TotalSeconds:F2} s, the rest generating requests).");
        foreach (var (knownWrong, count) in disagreementsByClass.OrderBy(p => p.Key))
        {
            output.WriteLine($"  disagreed where the SDK is known wrong, {knownWrong}: {count}");
        }
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} unexpected results, first ones:\n{string.Join('\n', unexpected.Take(5))}");
        // The generator must actually reach both outcomes and every known-wrong class.
        Assert.InRange(accepted, Requests / 4, Requests * 3 / 4);
        Assert.All(Enum.GetValues<KnownSdkWrong>().Skip(1), c => Assert.True(disagreementsByClass.GetValueOrDefault(c) > 0, $"no request exercised {c}"));
        Assert.Equal(Requests - disagreementsByClass.Values.Sum(), agreements);
    }

    private sealed record SignedRequest(
        string Url, KeyValuePair<string, string>[] Form, byte[]? JsonBody, string Token, string Signature, bool SignedByTwilio, KnownSdkWrong KnownSdkWrong)
    {
        public override string ToString() =>
            $"{Url} form=[{string.Join(", ", Form.Select(p => $"{p.Key}={p.Value}"))}] json={(JsonBody is null ? "-" : Encoding.UTF8.GetString(JsonBody))} " +
            $"token={Token} signature={Signature} signed={SignedByTwilio} class={KnownSdkWrong}";
    }

    private static SignedRequest RandomRequest(Random random)
    {
        var token = random.Next(4) == 0 ? Text(random, SafeQueryCharacters, 8, 40) : Convert.ToHexStringLower(RandomBytes(random, 16));
        var scheme = random.Next(2) == 0 ? "https" : "http";
        var host = Text(random, HostCharacters, 3, 12) + (random.Next(2) == 0 ? ".example.com" : ".ngrok.app");
        var port = random.Next(3) switch { 0 => null, 1 => scheme == "https" ? "443" : "80", _ => random.Next(1024, 65536).ToString() };
        var credentials = random.Next(40) == 0 ? "twilio:secret@" : "";
        // Each segment starts with a letter: no "." or ".." segments, which Uri (in the SDK's port variant) collapses.
        var path = string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => "/" + Text(random, "abcdefghij", 1, 1) + Text(random, PathCharacters, 0, 9)));

        var query = new List<string>();
        var rawQueryCharacters = random.Next(10) == 0;
        for (var n = random.Next(0, 4); n > 0; n--)
        {
            query.Add(Text(random, SafeQueryCharacters, 1, 6) + "=" + QueryValue(random));
        }
        if (rawQueryCharacters)
        {
            query.Add("Body=" + Text(random, SafeQueryCharacters, 0, 4) + Pick(random, ["'", "\"", " ", "<", ">", "é", "ü", "😀"]) + Text(random, SafeQueryCharacters, 0, 4));
        }

        byte[]? json = null;
        var form = Array.Empty<KeyValuePair<string, string>>();
        var repeatedKeys = false;
        if (random.Next(8) == 0)
        {
            json = Encoding.UTF8.GetBytes($"{{\"event\":\"{Text(random, FormCharacters, 0, 12).Replace("\\", "").Replace("\"", "")}\",\"n\":{random.Next()}}}");
            // Twilio binds the body to the URL; a stale hash now and then.
            var hash = random.Next(10) == 0 ? Convert.ToHexStringLower(RandomBytes(random, 32)) : Convert.ToHexStringLower(SHA256.HashData(json));
            query.Insert(random.Next(query.Count + 1), "bodySHA256=" + hash);
        }
        else
        {
            var names = Enumerable.Range(0, random.Next(0, 8)).Select(_ => Text(random, FormCharacters, 1, 8)).ToList();
            if (names.Count > 0 && random.Next(20) == 0)
            {
                names.Add(names[random.Next(names.Count)]);
            }
            // The SDK takes a NameValueCollection: names are distinct only as far as it sees them.
            repeatedKeys = names.Count != names.Distinct(StringComparer.OrdinalIgnoreCase).Count();
            form = [.. names.Select(name => new KeyValuePair<string, string>(name, random.Next(6) == 0 ? "" : Text(random, FormCharacters, 1, 12)))];
        }

        var authority = credentials + host + (port is null ? "" : ":" + port);
        var pathAndQuery = path + (query.Count == 0 ? "" : "?" + string.Join("&", query));
        var url = $"{scheme}://{authority}{pathAndQuery}";

        // What Twilio signed: this URL without credentials, with its port toggled, or (for raw
        // characters in the query) percent-encoded as a WHATWG URL parser does; or nothing valid.
        var defaultPort = scheme == "https" ? "443" : "80";
        var spellings = new List<string> { $"{scheme}://{host}{(port is null ? "" : ":" + port)}{pathAndQuery}" };
        spellings.Add(port is null ? $"{scheme}://{host}:{defaultPort}{pathAndQuery}" : $"{scheme}://{host}{pathAndQuery}");
        if (rawQueryCharacters)
        {
            spellings.Add($"{scheme}://{host}{(port is null ? "" : ":" + port)}{PercentEncodeQuery(pathAndQuery)}");
        }
        var signedUrl = spellings[random.Next(spellings.Count)];
        var outcome = random.Next(4);
        var signedByTwilio = outcome != 0 && (json is null || HashMatches(url, json));
        var signature = outcome switch
        {
            0 when random.Next(2) == 0 => Sign(token + "x", signedUrl, form),
            0 => Convert.ToBase64String(RandomBytes(random, 20)),
            _ => Sign(token, signedUrl, form),
        };

        var knownWrong = repeatedKeys ? KnownSdkWrong.RepeatedKeys
            : credentials.Length > 0 ? KnownSdkWrong.CredentialsInUrl
            : rawQueryCharacters ? KnownSdkWrong.QueryTwilioPercentEncodes
            : port == defaultPort ? KnownSdkWrong.ExplicitDefaultPort
            : KnownSdkWrong.None;
        return new SignedRequest(url, form, json, token, signature, signedByTwilio, knownWrong);
    }

    /// <summary>Twilio's scheme, written here from its docs rather than taken from either validator.</summary>
    private static string Sign(string token, string url, KeyValuePair<string, string>[] form)
    {
        var preimage = new StringBuilder(url);
        foreach (var (name, value) in form.Distinct().OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            preimage.Append(name).Append(value);
        }
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(preimage.ToString())));
    }

    private static bool HashMatches(string url, byte[] json) =>
        url.Contains("bodySHA256=" + Convert.ToHexStringLower(SHA256.HashData(json)), StringComparison.Ordinal);

    private static string PercentEncodeQuery(string pathAndQuery)
    {
        var question = pathAndQuery.IndexOf('?');
        var builder = new StringBuilder(pathAndQuery[..(question + 1)]);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in pathAndQuery[(question + 1)..].EnumerateRunes())
        {
            if (rune.Value is < 0x20 or > 0x7E || "\"'<> ".Contains((char)rune.Value))
            {
                foreach (var b in utf8[..rune.EncodeToUtf8(utf8)])
                {
                    builder.Append('%').Append(b.ToString("X2"));
                }
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }
        return builder.ToString();
    }

    private static NameValueCollection ToNameValueCollection(KeyValuePair<string, string>[] form)
    {
        var collection = new NameValueCollection();
        foreach (var (name, value) in form)
        {
            collection.Add(name, value);
        }
        return collection;
    }

    private const string HostCharacters = "abcdefghijklmnopqrstuvwxyzABC0123456789-";
    private const string PathCharacters = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
    // Query text as Twilio sends it: already percent-encoded where it must be.
    private const string SafeQueryCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    // Decoded form names and values: anything a caller or Twilio may put there.
    private const string FormCharacters = "abcXYZ019 +&=%?#/:;,'\"<>éüñ漢字😀\t-_.*~!$()";

    private static string QueryValue(Random random) => random.Next(5) switch
    {
        0 => "",
        1 => "%2B1" + Text(random, "0123456789", 10, 10),
        2 => Text(random, SafeQueryCharacters, 1, 5) + "+" + Text(random, SafeQueryCharacters, 1, 5),
        3 => Text(random, SafeQueryCharacters, 1, 4) + Pick(random, ["%26", "%3D", "%25", "%20", "%2F"]) + Text(random, SafeQueryCharacters, 0, 4),
        _ => Text(random, SafeQueryCharacters, 1, 10),
    };

    private static readonly Dictionary<string, string[]> Runes = new();

    private static string Text(Random random, string alphabet, int min, int max)
    {
        string[]? runes;
        lock (Runes)
        {
            if (!Runes.TryGetValue(alphabet, out runes))
            {
                Runes[alphabet] = runes = [.. alphabet.EnumerateRunes().Select(r => r.ToString())];
            }
        }
        var builder = new StringBuilder();
        for (var n = random.Next(min, max + 1); n > 0; n--)
        {
            builder.Append(runes[random.Next(runes.Length)]);
        }
        return builder.ToString();
    }

    private static string Pick(Random random, string[] options) => options[random.Next(options.Length)];

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
