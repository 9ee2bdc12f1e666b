using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Foundation;

/// <summary>
/// Each service's appsettings.json shows its configuration: every options section it binds, each key
/// with the value the code uses without it. Shipping the file must change nothing, so a value that
/// differs from the code's default, a key no options class reads (a typo), or a missing key with a
/// default fails here. Keys without a default (secrets, URLs, lists, "unset means the environment
/// decides") are left out and named in the service's README.
/// </summary>
public class AppSettingsTests
{
    // Found by name, not namespace: where a class lives may change, its configuration section does not.
    private static readonly Assembly[] ServiceAssemblies =
    [
        typeof(Ovrsee.WebhookApi.AssemblyMarker).Assembly,
        typeof(Ovrsee.Provisioning.AssemblyMarker).Assembly,
        typeof(Ovrsee.Auth.AuthOptions).Assembly,
        typeof(Ovrsee.Twilio.TwilioOptions).Assembly,
        typeof(Ovrsee.PublicUrls.WebhookOptions).Assembly,
    ];

    private static readonly (string Section, string Options)[] SharedSections =
    [
        ("Auth", "AuthOptions"),
        ("Twilio", "TwilioOptions"),
        ("Twilio:Resilience", "TwilioResilienceOptions"),
        ("Webhooks", "WebhookOptions"),
    ];

    public static TheoryData<string> Services => new() { "Ovrsee.WebhookApi", "Ovrsee.Provisioning" };

    private static (string Section, string Options)[] SectionsOf(string service) => service switch
    {
        "Ovrsee.WebhookApi" =>
        [
            .. SharedSections,
            ("Webhooks", "WebhookRecorderOptions"),
            ("Webhooks:Spool", "WebhookSpoolOptions"),
            ("Webhooks:GroupCommit", "GroupCommitOptions"),
            ("RateLimiting:Webhooks", "UnverifiedTrafficOptions"),
            ("Voicemail", "VoicemailOptions"),
            ("Voicemail:Pipeline", "VoicemailPipelineOptions"),
            ("Jobs", "JobsOptions"),
            ("AI:SpeechToText", "AiEndpointOptions"),
            ("AI:Chat", "AiEndpointOptions"),
            ("Recordings", "RecordingsOptions"),
            ("Recordings:Retention", "RecordingRetentionOptions"),
            ("AlohaStream", "AlohaStreamOptions"),
            ("Reconciliation", "ReconciliationOptions"),
            ("EventFeed", "EventFeedOptions"),
            ("OutboundWebhooks", "OutboundWebhookOptions"),
        ],
        "Ovrsee.Provisioning" => [.. SharedSections, ("Provisioning", "ProvisioningOptions")],
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private static IConfigurationRoot Load(string service) =>
        new ConfigurationBuilder().AddJsonFile(Path.Combine(Repository.Root, service, "appsettings.json"), optional: false).Build();

    private static Type OptionsType(string name) =>
        ServiceAssemblies.SelectMany(a => a.GetTypes()).Where(t => t.Name == name && t.IsClass).Distinct().Single();

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true && p.GetIndexParameters().Length == 0);

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_value_is_the_code_default(string service)
    {
        var configuration = Load(service);
        var differences = new List<string>();
        foreach (var (section, options) in SectionsOf(service))
        {
            var type = OptionsType(options);
            var bound = Activator.CreateInstance(type)!;
            configuration.GetSection(section).Bind(bound);
            Compare(section, Activator.CreateInstance(type)!, bound, differences);
        }
        Assert.True(differences.Count == 0, $"{service}/appsettings.json differs from the code: {string.Join("; ", differences)}");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_key_is_read_by_an_options_class_and_every_default_is_listed(string service)
    {
        var configuration = Load(service);
        var sections = SectionsOf(service);
        var unknown = configuration.AsEnumerable()
            .Where(pair => pair.Value is not null && !pair.Key.StartsWith("Logging:", StringComparison.Ordinal))
            .Select(pair => pair.Key)
            .Where(key => !sections.Any(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase)
                && Resolves(OptionsType(s.Options), key[(s.Section.Length + 1)..].Split(':'))))
            .ToList();
        Assert.True(unknown.Count == 0, $"keys no options class reads: {string.Join(", ", unknown)}");

        var missing = sections
            .SelectMany(s => DefaultedKeys(s.Section, OptionsType(s.Options)))
            .Where(key => configuration[key] is null)
            .ToList();
        Assert.True(missing.Count == 0, $"keys with a code default that the file does not list: {string.Join(", ", missing)}");
    }

    private static bool Resolves(Type type, string[] path)
    {
        var property = Settable(type).FirstOrDefault(p => string.Equals(p.Name, path[0], StringComparison.OrdinalIgnoreCase));
        return property is not null && (path.Length == 1 || (IsNested(property.PropertyType) && Resolves(property.PropertyType, path[1..])));
    }

    /// <summary>Scalars whose default is a value (not null, not a list); nested options classes recursively.</summary>
    private static IEnumerable<string> DefaultedKeys(string prefix, Type type)
    {
        var defaults = Activator.CreateInstance(type)!;
        foreach (var property in Settable(type))
        {
            var key = $"{prefix}:{property.Name}";
            if (IsNested(property.PropertyType))
            {
                foreach (var nested in DefaultedKeys(key, property.PropertyType))
                {
                    yield return nested;
                }
            }
            else if (property.GetValue(defaults) is not (null or IEnumerable and not string))
            {
                yield return key;
            }
        }
    }

    private static bool IsNested(Type type) => type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type);

    private static void Compare(string path, object expected, object actual, List<string> differences)
    {
        foreach (var property in Settable(expected.GetType()))
        {
            var key = $"{path}:{property.Name}";
            var (want, got) = (property.GetValue(expected), property.GetValue(actual));
            if (want is not null && IsNested(property.PropertyType))
            {
                Compare(key, want, got!, differences);
            }
            else if (!SameValue(want, got))
            {
                differences.Add($"{key} is {Show(got)} in the file, {Show(want)} in the code");
            }
        }
    }

    private static bool SameValue(object? want, object? got) => (want, got) switch
    {
        // A relative folder is the same folder whichever separator spells it.
        (string a, string b) => a.Replace('\\', '/') == b.Replace('\\', '/'),
        (IEnumerable a, IEnumerable b) => a.Cast<object?>().SequenceEqual(b.Cast<object?>()),
        _ => Equals(want, got),
    };

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IEnumerable items => $"[{string.Join(", ", items.Cast<object?>())}]",
        _ => value.ToString()!,
    };
}
