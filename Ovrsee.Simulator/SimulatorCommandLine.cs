using System.Globalization;
using System.Text.Json;

namespace Ovrsee.Simulator;

internal sealed record SimulatorCommandLine(
    SimulatorOptions Options, string To, int Calls, int Concurrency, double VoicemailShare, string ChaosText, TimeSpan RecordingWait, IReadOnlyList<string>? DialOutcomes,
    string Press, int? ApiPort)
{
    public static SimulatorCommandLine? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"Unexpected argument '{args[i]}'. Options: --to --calls --concurrency --voicemail --chaos --url --public-url --token --step-ms --seed --recording-wait-seconds --dial --press --api-port");
                return null;
            }
            values[args[i][2..]] = args[++i];
        }

        var root = FindRepositoryRoot();
        var state = ReadState(root);
        var url = values.GetValueOrDefault("url") ?? state?.WebhookApi ?? "http://127.0.0.1:5180";
        var publicUrl = values.GetValueOrDefault("public-url") ?? state?.PublicBaseUrl;
        var token = values.GetValueOrDefault("token") ?? Environment.GetEnvironmentVariable("TWILIO_AUTH_TOKEN") ?? ReadDevToken(root);
        if (string.IsNullOrWhiteSpace(token))
        {
            Console.Error.WriteLine("No Auth Token: pass --token, set TWILIO_AUTH_TOKEN, or start the AppHost once (it writes .ovrsee/dev-twilio-auth-token).");
            return null;
        }

        ChaosOptions chaos;
        try
        {
            chaos = ChaosOptions.Parse(values.GetValueOrDefault("chaos"));
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return null;
        }

        string[]? dialOutcomes = null;
        if (values.TryGetValue("dial", out var dial))
        {
            dialOutcomes = dial.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (dialOutcomes.Length == 0 || dialOutcomes.Any(o => !SimulatedCall.DialStatuses.Contains(o)))
            {
                Console.Error.WriteLine($"--dial takes what each forwarded-to person does, in turn: {string.Join(", ", SimulatedCall.DialStatuses)} (e.g. no-answer,completed).");
                return null;
            }
        }

        var press = values.GetValueOrDefault("press") ?? "1";
        if (press.Length != 1 || !"0123456789*#".Contains(press[0]))
        {
            Console.Error.WriteLine("--press takes the one key a caller presses during the agent: 1 (leave a message) or 0 (a person, where the number allows a transfer).");
            return null;
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var calls = Int("calls", 1);
        return new SimulatorCommandLine(
            new SimulatorOptions
            {
                TargetBaseUrl = new Uri(url.TrimEnd('/') + "/"),
                PublicBaseUrl = string.IsNullOrWhiteSpace(publicUrl) ? null : new Uri(publicUrl.TrimEnd('/') + "/"),
                AuthToken = token,
                Chaos = chaos,
                StepDelay = TimeSpan.FromMilliseconds(Int("step-ms", calls == 1 ? 300 : 0)),
                Seed = values.ContainsKey("seed") ? Int("seed", 0) : null,
            },
            values.GetValueOrDefault("to") ?? "+15005550006",
            calls,
            Int("concurrency", Math.Min(calls, 20)),
            values.TryGetValue("voicemail", out var share) ? double.Parse(share, CultureInfo.InvariantCulture) : 1.0,
            values.GetValueOrDefault("chaos") ?? "none",
            TimeSpan.FromSeconds(Int("recording-wait-seconds", 60)),
            dialOutcomes,
            press,
            values.ContainsKey("api-port") ? Int("api-port", 0) : null);
    }

    private sealed record State(string? WebhookApi, string? PublicBaseUrl);

    private static State? ReadState(string root)
    {
        var path = Path.Combine(root, ".ovrsee", "state.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<State>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web)) : null;
    }

    private static string? ReadDevToken(string root)
    {
        var path = Path.Combine(root, ".ovrsee", "dev-twilio-auth-token");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ovrsee.Aspire.sln"))) return directory.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
