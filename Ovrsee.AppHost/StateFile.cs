using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Ovrsee.Hosting;

namespace Ovrsee.AppHost;

/// <summary>.ovrsee/state.json: the endpoints in use, for scripts (scripts/test-incoming-call.sh reads it).</summary>
internal static class StateFile
{
    public sealed record State(string WebhookApi, string Provisioning, string? PostgresHost, int? PostgresPort, string? PublicBaseUrl, int ProcessId);

    public static State Write(OvrseeSystem system, IConfiguration configuration)
    {
        var state = new State(
            system.WebhookApi.HttpEndpoint.ToString().TrimEnd('/'),
            system.Provisioning.HttpEndpoint.ToString().TrimEnd('/'),
            system.Postgres is null ? null : "127.0.0.1",
            system.Postgres?.Port,
            configuration["Webhooks:PublicBaseUrl"] ?? configuration["NEXT_PUBLIC_APP_URL"],
            Environment.ProcessId);
        var path = Path.Combine(Ovrsee.Hosting.Services.ServiceProject.RepositoryRoot, ".ovrsee", "state.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        return state;
    }
}
