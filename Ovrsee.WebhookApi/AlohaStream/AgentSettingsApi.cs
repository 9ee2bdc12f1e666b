using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Auth;
using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <param name="Kind">
/// <c>external</c>: the workspace's own Aloha agent at <paramref name="Url"/>; <c>builtin</c>: our
/// built-in agent (greets, hands over to voicemail when the caller presses a key); <c>none</c>:
/// calls go straight to voicemail without a media stream.
/// </param>
/// <param name="Url">The agent's WebSocket URL (<c>wss://</c>), only with <c>external</c>.</param>
public sealed record AgentSettingsRequest(string? Kind, string? Url);

/// <param name="UpdatedAt">When an owner or admin last set it; null if never.</param>
public sealed record AgentSettings(string Kind, string? Url, DateTimeOffset? UpdatedAt);

/// <summary>
/// The workspace's voice agent: every member sees it, owners and admins set it. A URL is checked
/// with the same <see cref="AgentUrlPolicy"/> the stream applies when it dials, so what is refused
/// at call time is refused here first, with the reason.
/// </summary>
public static class AgentSettingsApi
{
    public const string External = "external";
    public const string BuiltIn = "builtin";
    public const string None = "none";
    public const int MaxUrlLength = 2048;

    public static RouteGroupBuilder MapAgentSettingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/aloha/settings/agent").WithTags("Settings");
        api.MapGet("/", GetAgent)
            .RequireWorkspace()
            .WithName("GetAgentSettings")
            .WithSummary("The voice agent the workspace's calls are streamed to: external (with its URL), builtin, or none.");
        api.MapPut("/", PutAgent)
            .RequireWorkspace("owner", "admin")
            .WithName("PutAgentSettings")
            .WithSummary("Sets the workspace's voice agent. An external URL must pass the deployment's agent URL rules (wss://, no credentials, allowed host, public address).");
        return api;
    }

    public static async Task<Ok<AgentSettings>> GetAgent(HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        await using var command = scope.CreateCommand("SELECT agent_stream_url, agent_builtin, agent_updated_at FROM workspaces");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var url = reader.IsDBNull(0) ? null : reader.GetString(0);
        var kind = url is not null ? External : reader.GetBoolean(1) ? BuiltIn : None;
        return TypedResults.Ok(new AgentSettings(kind, url, reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2)));
    }

    public static async Task<Results<Ok<AgentSettings>, ValidationProblem>> PutAgent(
        AgentSettingsRequest request, HttpContext context, NpgsqlDataSource dataSource, AgentUrlPolicy policy,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        string? url = null;
        switch (request.Kind)
        {
            case External when request.Url is null:
                return Invalid("url", $"Required with kind \"{External}\".", "url-missing");
            case External when request.Url.Length > MaxUrlLength:
                return Invalid("url", $"At most {MaxUrlLength} characters.", "url-too-long");
            case External:
                if (policy.Check(request.Url.Trim(), out var reason) is not { } uri)
                {
                    return Invalid("url", Explain(reason), reason);
                }
                // Stored as the parsed, normalised URL: what the stream will dial, lower-case scheme and host.
                url = uri.AbsoluteUri;
                break;
            case BuiltIn or None when request.Url is not null:
                return Invalid("url", $"A URL is only taken with kind \"{External}\".", "url-not-expected");
            case BuiltIn or None:
                break;
            default:
                return Invalid("kind", $"Must be \"{External}\", \"{BuiltIn}\" or \"{None}\".", "kind-invalid");
        }

        var workspace = context.GetWorkspace();
        DateTimeOffset updatedAt;
        await using (var scope = await workspace.BeginScopeAsync(dataSource, cancellationToken))
        {
            await using var command = scope.CreateCommand("""
                UPDATE workspaces SET agent_stream_url = $1, agent_builtin = $2, agent_updated_at = now()
                RETURNING agent_updated_at
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)url ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = request.Kind == BuiltIn, NpgsqlDbType = NpgsqlDbType.Boolean });
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                updatedAt = reader.GetFieldValue<DateTimeOffset>(0);
            }
            await scope.CommitAsync(cancellationToken);
        }
        // Who pointed a workspace's calls where is worth keeping: it decides where callers' audio goes.
        loggers.CreateLogger(typeof(AgentSettingsApi)).LogInformation(
            "Workspace {WorkspaceId} agent set to {Kind} ({Host}) by user {UserId}",
            workspace.WorkspaceId, request.Kind, url is null ? "-" : new Uri(url).Authority, workspace.UserId);
        return TypedResults.Ok(new AgentSettings(request.Kind, url, updatedAt));
    }

    private static ValidationProblem Invalid(string field, string message, string reason) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [message] },
            title: "Invalid agent settings.",
            extensions: new Dictionary<string, object?> { ["reason"] = reason });

    private static string Explain(string reason) => reason switch
    {
        "url-not-tls" => "Must be wss:// (this deployment does not allow unencrypted ws://).",
        "url-scheme-not-allowed" => "Must be a wss:// URL.",
        "url-has-credentials" => "Must not contain user:password@ (it would be logged; agents authenticate otherwise).",
        "host-not-allowed" => "The host is not on this deployment's list of allowed agent hosts (AlohaStream:AllowedAgentHosts).",
        "address-not-allowed" => "The address is not public (loopback, private, link-local and similar addresses are refused).",
        _ => "Not an absolute ws:// or wss:// URL.",
    };
}
