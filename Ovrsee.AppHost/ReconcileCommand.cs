using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Ovrsee.Auth;

namespace Ovrsee.AppHost;

/// <summary>
/// The dashboard's "Reconcile now" on WebhookApi: the on-demand reconciliation API
/// (POST /api/aloha/reconcile) called as the dev workspace's owner, its report shown in the
/// dashboard's notification and written to WebhookApi's console log. The service itself logs the
/// run and counts it on the Ovrsee.Reconciliation meter (trigger "on-demand").
/// </summary>
internal static class ReconcileCommand
{
    public const string Name = "reconcile-now";

    public static IResourceBuilder<ProjectResource> WithReconcileCommand(this IResourceBuilder<ProjectResource> webhookApi, ServiceSettings settings)
    {
        // The API takes an owner's or admin's bearer token; without the JWT secret (an OIDC authority) we cannot mint one.
        if (settings.JwtSecret is not { } jwtSecret)
        {
            return webhookApi;
        }
        // Without an Account SID there is no Twilio to compare with: offered, but off, saying why.
        var twilioConfigured = settings.Environment.ContainsKey("Twilio__AccountSid");
        return webhookApi.WithCommand(Name, "Reconcile now", async context =>
        {
            // The run waits up to Reconciliation:LockWait (30 s) for another one, then lists Twilio's calls page by page.
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            using var request = new HttpRequestMessage(HttpMethod.Post, webhookApi.GetEndpoint("http").Url + "/api/aloha/reconcile");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
                SupabaseStyleToken.Create(jwtSecret, DevSeed.OwnerUserId, TimeSpan.FromMinutes(15)));
            request.Headers.Add("X-Workspace-Id", DevSeed.WorkspaceId.ToString());
            try
            {
                using var response = await http.SendAsync(request, context.CancellationToken);
                var body = await response.Content.ReadAsStringAsync(context.CancellationToken);
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    context.Logger.LogWarning("Reconcile now: another reconciliation run holds the lock");
                    return CommandResults.Failure("Another reconciliation run is under way (the periodic run or another replica); try again shortly.");
                }
                if (!response.IsSuccessStatusCode)
                {
                    context.Logger.LogWarning("Reconcile now failed: {Status} {Body}", (int)response.StatusCode, body);
                    return CommandResults.Failure($"The reconciliation API answered {(int)response.StatusCode}: {Detail(body)}");
                }
                var summary = Summary(body);
                context.Logger.LogInformation("Reconcile now: {Summary}", summary);
                return CommandResults.Success(summary, body, CommandResultFormat.Json);
            }
            catch (HttpRequestException ex)
            {
                return CommandResults.Failure($"WebhookApi did not answer: {ex.Message}");
            }
        }, new CommandOptions
        {
            IconName = "ArrowSync",
            Description = twilioConfigured
                ? "Compares the dev workspace's numbers' calls and voicemails with Twilio's REST API now and repairs ours (POST /api/aloha/reconcile)."
                : "Needs Twilio's credentials (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or an API key): there is no Twilio to reconcile with.",
            UpdateState = context => twilioConfigured && context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy
                ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
    }

    /// <summary>One line for the notification: what the run fixed, from the service's report.</summary>
    internal static string Summary(string reportJson)
    {
        var report = JsonDocument.Parse(reportJson).RootElement;
        int Count(string name) => report.TryGetProperty(name, out var value) && value.TryGetInt32(out var count) ? count : 0;
        var fixes = Count("callsCreated") + Count("callsClosed") + Count("voicemailsCreated") + Count("stuckCallsClosed");
        var text = $"Reconciliation {report.GetProperty("outcome").GetString()}: {Count("numbers")} numbers, " + (fixes == 0
            ? "nothing to repair"
            : $"{Count("callsCreated")} missing calls created, {Count("callsClosed")} calls closed, " +
              $"{Count("voicemailsCreated")} missing voicemails created, {Count("stuckCallsClosed")} stuck calls closed");
        return Count("failedNumbers") is var failed and > 0 ? $"{text}; {failed} numbers could not be compared (Twilio) and are retried next run." : text + ".";
    }

    private static string Detail(string problemJson)
    {
        try
        {
            var problem = JsonDocument.Parse(problemJson).RootElement;
            return problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? ""
                : problem.TryGetProperty("title", out var title) ? title.GetString() ?? "" : problemJson;
        }
        catch (JsonException)
        {
            return problemJson;
        }
    }
}
