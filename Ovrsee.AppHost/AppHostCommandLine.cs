using Ovrsee.AppHost.Tunnels;
using Ovrsee.Provisioning.WebhookConfiguration;

namespace Ovrsee.AppHost;

/// <summary>
/// Our options on top of Aspire's: checked before anything starts, so --help, a mistyped option or
/// a bad value is one clear line and an exit code, never a stack trace or a half-started system.
/// </summary>
internal static class AppHostCommandLine
{
    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--webhookapi-port"] = "Ports:WebhookApi",
        ["--provisioning-port"] = "Ports:Provisioning",
        ["--postgres-port"] = "Ports:Postgres",
        ["--postgres-container"] = "Postgres:Container",
        ["--public-url"] = "Webhooks:PublicBaseUrl",
        ["--tunnel"] = "Tunnel:Provider",
        ["--configure-number"] = "ConfigureNumber",
        ["--state-dir"] = "StateDirectory",
        ["--recordings-storage"] = "RecordingStorage",
    };

    // Aspire's own options (publishing, the CLI's and the testing builder's), passed through untouched.
    private static readonly HashSet<string> AspireOptions =
    [
        "--publisher", "--output-path", "--operation", "--step", "--dcp-cli-path", "--container-runtime", "--log-level", "--environment",
    ];

    public const string Usage = """
        Runs Ovrsee: PostgreSQL, the migrations, WebhookApi and Provisioning, under the Aspire dashboard.

        Usage: dotnet run --project Ovrsee.AppHost [-- options]     (or: aspire run)
               dotnet run --project Ovrsee.AppHost -- dev-token     prints a bearer token for the dev workspace owner

        Options:
          --webhookapi-port <port>      WebhookApi on http://127.0.0.1:<port> (default 5180; 0 = any free port)
          --provisioning-port <port>    Provisioning (default 5181)
          --postgres-port <port>        the local PostgreSQL (default 55432)
          --postgres-container <auto|true|false>
                                        PostgreSQL in a container (Aspire.Hosting.PostgreSQL) or from the installed
                                        server binaries; auto (default) uses a container when a container runtime answers
          --tunnel <cloudflared|ngrok|devtunnel>
                                        a public HTTPS URL for Twilio, in front of WebhookApi
          --public-url <https-url>      your own tunnel's public URL instead
          --configure-number <id>       point that Twilio number (a phoneNumberId) at the public URL once running
          --recordings-storage <auto|azurite|folder>
                                        where voicemail audio goes: blob storage in Azurite (the pinned .ci/azurite or a
                                        global azurite-blob) or a local folder; auto (default) uses Azurite when installed
          --state-dir <dir>             local state: PostgreSQL data, Azurite data, recordings, dev tokens, webhook spool
                                        (default .ovrsee)
        Settings (Twilio credentials, ConnectionStrings:ovrsee, ConnectionStrings:recordings, ...): .env, user-secrets, environment; see README.md.
        """;

    /// <returns>Null to go on; otherwise the exit code, after printing help or one line of error.</returns>
    public static int? Check(string[] args, TextWriter? output = null, TextWriter? errors = null)
    {
        output ??= Console.Out;
        errors ??= Console.Error;
        int Error(string message)
        {
            errors.WriteLine(message);
            return 2;
        }

        if (args.Any(a => a is "--help" or "-h" or "-?" or "help"))
        {
            output.WriteLine(Usage);
            return 0;
        }
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inlineValue) = Split(args[i]);
            if (!name.StartsWith('-'))
            {
                return Error($"Unexpected argument '{args[i]}'. Run with --help for the options.");
            }
            var known = Switches.ContainsKey(name) || AspireOptions.Contains(name);
            // --Section:Key=value (or --Section:Key value) sets any configuration value, as in every .NET host.
            if (!known && !name.Contains(':'))
            {
                return Error($"Unknown option '{name}'. Run with --help for the options.");
            }
            var value = inlineValue ?? (i + 1 < args.Length ? args[++i] : null);
            if (value is null)
            {
                return Error($"Option '{name}' needs a value. Run with --help for the options.");
            }
            if (ValueError(name, value) is { } error)
            {
                return Error(error);
            }
        }
        return null;
    }

    private static string? ValueError(string name, string value) => name switch
    {
        "--webhookapi-port" or "--provisioning-port" or "--postgres-port" when !int.TryParse(value, out var port) || port is < 0 or > 65535 =>
            $"{name} {value}: not a port number (0-65535).",
        "--postgres-container" when value is not ("auto" or "true" or "false") =>
            $"--postgres-container {value}: use auto, true or false.",
        "--recordings-storage" when value is not ("auto" or "azurite" or "folder") =>
            $"--recordings-storage {value}: use auto, azurite or folder.",
        "--tunnel" when !TunnelProvider.TryParse(value, out _) =>
            $"--tunnel {value}: unknown tunnel. Use one of: {string.Join(", ", TunnelProvider.All.Select(p => p.Name))}.",
        "--public-url" when PublicWebhookUrl.Refusal(value, out _) is { } refusal => refusal.Replace(PublicWebhookUrl.Setting, "--public-url"),
        _ => null,
    };

    private static (string Name, string? Value) Split(string argument)
    {
        var equals = argument.IndexOf('=');
        var name = equals < 0 ? argument : argument[..equals];
        if (name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':'))
        {
            return (name, equals < 0 ? null : argument[(equals + 1)..]);
        }
        return equals < 0 ? (argument, null) : (name, argument[(equals + 1)..]);
    }
}
