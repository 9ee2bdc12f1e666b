using System.Reflection;
using System.Text.RegularExpressions;
using Ovrsee.PublicUrls;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Deploy;

/// <summary>
/// The routes Twilio calls have one home, <see cref="WebhookRoutes"/>. Code uses its constants;
/// what cannot (Bicep, shell, the seed peer's Node, the docs) carries copies, and a copy that no
/// longer names a declared route fails here: a renamed route would otherwise leave a deploy output,
/// a script or a guide pointing Twilio at a 404.
/// </summary>
public partial class WebhookRouteCopiesTests
{
    // Files outside the code that must keep their copies: each file, the routes it writes.
    public static TheoryData<string, string> KnownCopies => new()
    {
        { "infra/main.bicep", WebhookRoutes.IncomingCall },
        { "infra/main.bicep", WebhookRoutes.CallStatus },
        { "scripts/test-incoming-call.sh", WebhookRoutes.IncomingCall },
        { "scripts/test-incoming-call.sh", WebhookRoutes.CallStatus },
        // The seed peer's default route; the benchmark passes WebhookRoutes.IncomingCall (INCOMING_CALL_ROUTE).
        { "Ovrsee.Benchmarks/seed-peer/server.js", WebhookRoutes.IncomingCall },
    };

    private static readonly string[] SkippedDirectories = [".git", "bin", "obj", "node_modules", ".ci", ".ovrsee", "contracts"];

    [Theory]
    [MemberData(nameof(KnownCopies))]
    public void A_file_that_cannot_use_the_constants_writes_the_route_as_declared(string file, string route)
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root, file));

        Assert.Contains(route, WrittenRoutes(text));
    }

    [Fact]
    public void Every_webhook_route_written_outside_the_code_is_one_WebhookRoutes_declares()
    {
        var declared = DeclaredRoutes();
        var undeclared = new List<string>();
        var files = 0;
        foreach (var path in TextFiles(Repository.Root))
        {
            files++;
            foreach (var route in WrittenRoutes(File.ReadAllText(path)).Where(r => !declared.Contains(r)))
            {
                undeclared.Add($"{Path.GetRelativePath(Repository.Root, path)}: {route}");
            }
        }

        Assert.True(files > 50, $"Only {files} files read: is {Repository.Root} the checkout?");
        Assert.True(undeclared.Count == 0,
            "Routes WebhookRoutes (Ovrsee.PublicUrls/WebhookRoutes.cs) does not declare:\n" + string.Join("\n", undeclared));
    }

    [Fact]
    public void The_check_reads_a_route_that_is_not_declared()
    {
        var written = WrittenRoutes("output X string = '${base}/api/aloha/webhooks/incoming-cal'\ncurl $url/api/aloha/streams");

        Assert.Equal(["/api/aloha/webhooks/incoming-cal", "/api/aloha/streams"], written);
        Assert.DoesNotContain(written[0], DeclaredRoutes());
    }

    private static HashSet<string> DeclaredRoutes() =>
    [
        .. typeof(WebhookRoutes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!),
    ];

    private static List<string> WrittenRoutes(string text) => [.. WebhookRoutePattern().Matches(text).Select(m => m.Value)];

    // The C# code uses the constants (tests may write routes out on purpose: they check the API from outside).
    private static IEnumerable<string> TextFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (Path.GetExtension(file) is not (".cs" or ".dll" or ".png" or ".jpg" or ".zip" or ".pdb") && new FileInfo(file).Length < 2_000_000)
            {
                yield return file;
            }
        }
        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (!SkippedDirectories.Contains(Path.GetFileName(child)))
            {
                foreach (var file in TextFiles(child))
                {
                    yield return file;
                }
            }
        }
    }

    // A webhook (/api/aloha/webhooks/<name>) or the stream's routes (/api/aloha/stream…); not the
    // other APIs under /api/aloha (calls, events, webhook-endpoints…), which Twilio never calls.
    [GeneratedRegex(@"/api/aloha/(?:webhooks/[a-z][a-z-]*|stream[a-z-]*)")]
    private static partial Regex WebhookRoutePattern();
}
