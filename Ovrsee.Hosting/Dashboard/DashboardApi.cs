using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Dashboard.Otlp;

namespace Ovrsee.Hosting.Dashboard;

/// <summary>The page (embedded files, no build step) and the JSON it polls.</summary>
internal static class DashboardApi
{
    private static readonly Dictionary<string, int> MinimumSeverity = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = 1, ["debug"] = 5, ["information"] = 9, ["warning"] = 13, ["error"] = 17, ["critical"] = 21,
    };

    public static void MapDashboardPage(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, file, contentType) in new[]
        {
            ("/", "index.html", "text/html; charset=utf-8"),
            ("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
            ("/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
        })
        {
            var content = Embedded(file);
            endpoints.MapGet(path, () => Results.Bytes(content, contentType));
        }
    }

    public static void MapDashboardApi(this IEndpointRouteBuilder endpoints, Func<IReadOnlyList<Resource>> resources, TelemetryStore telemetry)
    {
        var api = endpoints.MapGroup("/api");
        api.MapGet("/resources", () => resources().Select(r => new
        {
            r.Name, r.Type, r.Status, State = r.State.ToString(), Health = r.Health.ToString(), r.ExitCode, r.Error,
            Pid = r.ProcessId, r.Endpoints, r.StartedAt, WaitsFor = r.WaitsFor.Select(d => d.Name),
        }));
        api.MapGet("/resources/{name}/console", (string name, long? after) =>
            resources().FirstOrDefault(r => r.Name == name) is { } resource
                ? Results.Ok(resource.Console.After(after ?? 0))
                : Results.NotFound());
        api.MapGet("/logs", (long? after, string? level, string? service) =>
            telemetry.Logs(after ?? 0, MinimumSeverity.GetValueOrDefault(level ?? "", 0), NullIfEmpty(service)));
        api.MapGet("/traces", (string? service) => telemetry.Traces(service: NullIfEmpty(service)));
        api.MapGet("/traces/{traceId}", (string traceId) => telemetry.Trace(traceId) is { Count: > 0 } spans ? Results.Ok(spans) : Results.NotFound());
        api.MapGet("/metrics", () => telemetry.Metrics());
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static byte[] Embedded(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("dashboard/" + file)
            ?? throw new InvalidOperationException($"dashboard/{file} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
