using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ovrsee.Data;

namespace Ovrsee.Auth;

/// <summary>
/// Resolves the workspace for a signed-in user: the X-Workspace-Id header, or the user's only
/// workspace. Membership comes from the data layer (<see cref="WorkspaceMemberships"/>), one of the
/// explicit cross-tenant paths because the workspace is not known yet.
/// </summary>
public sealed class RequireWorkspaceFilter(NpgsqlDataSource dataSource, string[] roles) : IEndpointFilter
{
    public const string WorkspaceHeader = "X-Workspace-Id";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var subject = http.User.FindFirstValue("sub");
        if (!Guid.TryParse(subject, out var userId))
        {
            // The token is genuine but names no user we can look up: unauthenticated, as far as we are concerned.
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: subject is null
                ? "The bearer token has no sub claim: it must name the user (a UUID)."
                : "The bearer token's sub claim is not a user id (UUID).");
        }

        Guid? requested = null;
        if (http.Request.Headers.TryGetValue(WorkspaceHeader, out var header))
        {
            if (!Guid.TryParse(header.ToString(), out var parsed))
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { [WorkspaceHeader] = ["Must be a workspace id (UUID)."] });
            }
            requested = parsed;
        }

        var memberships = await MembershipsAsync(userId, http.RequestAborted);
        WorkspaceContext? workspace;
        if (requested is { } id)
        {
            // Same answer for "no such workspace" and "not yours": nothing leaks.
            workspace = memberships.FirstOrDefault(m => m.WorkspaceId == id);
            if (workspace is null)
            {
                return Results.Problem(statusCode: 403, title: "Forbidden", detail: "You are not a member of that workspace.");
            }
        }
        else if (memberships.Count == 1)
        {
            workspace = memberships[0];
        }
        else
        {
            return memberships.Count == 0
                ? Results.Problem(statusCode: 403, title: "Forbidden", detail: "You are not a member of any workspace.")
                : Results.ValidationProblem(new Dictionary<string, string[]> { [WorkspaceHeader] = ["You belong to several workspaces: say which one."] });
        }

        if (roles.Length > 0 && !roles.Contains(workspace.Role))
        {
            return Results.Problem(statusCode: 403, title: "Forbidden", detail: $"This needs the {string.Join(" or ", roles)} role in the workspace.");
        }

        http.Features.Set(workspace);
        return await next(invocation);
    }

    private async Task<List<WorkspaceContext>> MembershipsAsync(Guid userId, CancellationToken cancellationToken) =>
        [.. (await WorkspaceMemberships.ForUserAsync(dataSource, userId, cancellationToken))
            .Select(membership => new WorkspaceContext(userId, membership.WorkspaceId, membership.Role))];
}

public static class RequireWorkspaceExtensions
{
    /// <summary>Signed in, member of the workspace (and in one of <paramref name="roles"/> when given), per-user rate limited.</summary>
    public static TBuilder RequireWorkspace<TBuilder>(this TBuilder builder, params string[] roles) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(AuthenticationExtensions.WorkspaceUserPolicy);
        builder.RequireRateLimiting(AuthenticationExtensions.PerUserRateLimit);
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            var filter = new RequireWorkspaceFilter(factory.ApplicationServices.GetRequiredService<NpgsqlDataSource>(), roles);
            return invocation => filter.InvokeAsync(invocation, next);
        });
        return builder;
    }
}
