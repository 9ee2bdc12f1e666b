using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Dashboard;

namespace Ovrsee.AppHost;

/// <summary>
/// &lt;state dir&gt;/state.json (.ovrsee/state.json by default): the endpoints in use while the AppHost
/// runs, for scripts (scripts/test-incoming-call.sh reads it). Removed again on a clean stop.
/// </summary>
internal static class StateFile
{
    public sealed record ResourceEntry(string Name, string Type, string Status, IReadOnlyList<string> Endpoints, int? Pid);

    public sealed record State(
        string WebhookApi, string Provisioning, string? PostgresHost, int? PostgresPort, string? PublicBaseUrl, int ProcessId,
        string Dashboard, string? Tunnel, IReadOnlyList<ResourceEntry> Resources);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static State Write(string stateDirectory, OvrseeApplication app, DashboardServer dashboard, IConfiguration configuration)
    {
        var postgres = app.Get<PostgresServerResource>(OvrseeSystem.Postgres).Server;
        var tunnel = app.Resources.OfType<TunnelResource>().FirstOrDefault();
        var state = new State(
            Endpoint(app.Get<ProjectResource>(OvrseeSystem.WebhookApi)),
            Endpoint(app.Get<ProjectResource>(OvrseeSystem.Provisioning)),
            postgres is null ? null : "127.0.0.1",
            postgres?.Port,
            tunnel?.PublicUrl ?? configuration["Webhooks:PublicBaseUrl"] ?? configuration["NEXT_PUBLIC_APP_URL"],
            Environment.ProcessId,
            dashboard.Url.ToString().TrimEnd('/'),
            tunnel?.Provider.Name,
            [.. app.Resources.Select(r => new ResourceEntry(r.Name, r.Type, r.Status, r.Endpoints, r.ProcessId))]);
        Directory.CreateDirectory(stateDirectory);
        File.WriteAllText(PathIn(stateDirectory), JsonSerializer.Serialize(state, Json));
        return state;
    }

    public static void Delete(string stateDirectory) => File.Delete(PathIn(stateDirectory));

    private static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, "state.json");

    private static string Endpoint(ProjectResource project) => project.HttpEndpoint.ToString().TrimEnd('/');
}
