using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// The parameter names each operation of Twilio's OpenAPI description declares (query parameters
/// and form-body properties). Prism accepts parameters it does not know, so this is how a test
/// proves we send none that Twilio would ignore (StatusCallbackEvent on a number, say).
/// </summary>
public static partial class TwilioSpec
{
    private static readonly Lazy<YamlMappingNode> Paths = new(Load);

    /// <summary>Declared names for the operation that <paramref name="method"/> on <paramref name="concretePath"/> calls.</summary>
    public static IReadOnlySet<string> DeclaredParameters(string method, string concretePath)
    {
        var template = Template(concretePath);
        if (!Paths.Value.Children.TryGetValue(new YamlScalarNode(template), out var pathNode))
        {
            throw new InvalidOperationException($"Twilio's description has no path {template} (from {concretePath}).");
        }
        var operations = (YamlMappingNode)pathNode;
        if (!operations.Children.TryGetValue(new YamlScalarNode(method.ToLowerInvariant()), out var operationNode))
        {
            throw new InvalidOperationException($"Twilio's description has no {method} on {template}.");
        }
        var operation = (YamlMappingNode)operationNode;
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (operation.Children.TryGetValue(new YamlScalarNode("parameters"), out var parameters))
        {
            foreach (var parameter in ((YamlSequenceNode)parameters).Children.OfType<YamlMappingNode>())
            {
                if (Scalar(parameter, "in") == "query" && Scalar(parameter, "name") is { } name)
                {
                    names.Add(name);
                }
            }
        }
        if (Child(operation, "requestBody", "content", "application/x-www-form-urlencoded", "schema", "properties") is YamlMappingNode properties)
        {
            foreach (var property in properties.Children.Keys.OfType<YamlScalarNode>())
            {
                names.Add(property.Value!);
            }
        }
        return names;
    }

    /// <summary>/2010-04-01/Accounts/AC…/IncomingPhoneNumbers/PN….json → /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json</summary>
    public static string Template(string concretePath)
    {
        var path = AccountSegment().Replace(concretePath, "/Accounts/{AccountSid}/");
        path = CountrySegment().Replace(path, "/AvailablePhoneNumbers/{CountryCode}/");
        return SidSegment().Replace(path, "/{Sid}.json");
    }

    private static YamlMappingNode Load()
    {
        using var reader = new StreamReader(PrismServer.SpecPath);
        var stream = new YamlStream();
        stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return (YamlMappingNode)root.Children[new YamlScalarNode("paths")];
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    private static YamlNode? Child(YamlNode node, params string[] keys)
    {
        foreach (var key in keys)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }
            node = next;
        }
        return node;
    }

    [GeneratedRegex("/Accounts/AC[0-9a-fA-F]{32}/")]
    private static partial Regex AccountSegment();

    [GeneratedRegex("/AvailablePhoneNumbers/[A-Z]{2}/")]
    private static partial Regex CountrySegment();

    [GeneratedRegex("/[A-Z]{2}[0-9a-fA-F]{32}\\.json$")]
    private static partial Regex SidSegment();
}
