using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Ovrsee.Auth;
using Ovrsee.WebhookApi.Reconciliation;

namespace Ovrsee.WebhookApi.Reconciliation;

/// <summary>Reconciliation on demand: an owner or admin asks for their workspace's numbers to be compared with Twilio now.</summary>
public static class ReconciliationApi
{
    public static RouteHandlerBuilder MapReconciliationApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/aloha/reconcile", Reconcile)
            .RequireWorkspace("owner", "admin")
            .WithTags("Reconciliation")
            .WithName("Reconcile")
            .WithSummary("Compares the workspace's numbers' calls and voicemails with Twilio's and repairs ours; answers what it fixed.")
            .ProducesProblem(StatusCodes.Status409Conflict);

    public static async Task<Results<Ok<ReconciliationReport>, ProblemHttpResult>> Reconcile(
        HttpContext context, CallReconciler reconciler, IOptionsMonitor<ReconciliationOptions> options, CancellationToken cancellationToken)
    {
        var report = await reconciler.RunAsync("on-demand", context.GetWorkspace().WorkspaceId, options.CurrentValue.LockWait, cancellationToken);
        if (report.Outcome == "busy")
        {
            context.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem(statusCode: 409, title: "Reconciliation already running",
                detail: "Another reconciliation run is under way; try again shortly.");
        }
        return TypedResults.Ok(report);
    }
}
