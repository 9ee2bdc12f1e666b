using Microsoft.AspNetCore.Http;
using Npgsql;
using Ovrsee.Data;

namespace Ovrsee.Auth;

/// <summary>The signed-in user, the workspace this request acts on, and their role in it.</summary>
public sealed record WorkspaceContext(Guid UserId, Guid WorkspaceId, string Role)
{
    public bool IsAdmin => Role is "owner" or "admin";

    /// <summary>A transaction confined to this workspace by row-level security.</summary>
    public Task<WorkspaceScope> BeginScopeAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        WorkspaceScope.BeginAsync(dataSource, WorkspaceId, cancellationToken);
}

public static class WorkspaceContextExtensions
{
    public static WorkspaceContext GetWorkspace(this HttpContext context) =>
        context.Features.Get<WorkspaceContext>()
        ?? throw new InvalidOperationException("This endpoint needs .RequireWorkspace() on its group.");
}
