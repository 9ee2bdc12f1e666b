using Ovrsee.WebhookApi.AlohaStream;
using Ovrsee.WebhookApi.Calls;
using Ovrsee.WebhookApi.Events;
using Ovrsee.WebhookApi.OutboundWebhooks;
using Ovrsee.WebhookApi.Reconciliation;
using Ovrsee.WebhookApi.Recordings;
using Ovrsee.WebhookApi.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

if (await app.TryRunMigrateCommandAsync(args))
{
    return;
}

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseWebSockets();

app.MapDefaultEndpoints();
app.MapWebhookReadiness();
app.MapDefaultOpenApi();
app.MapTwilioWebhooksApi();
app.MapCallsApi();
app.MapEventsApi();
app.MapRecordingSettingsApi();
app.MapAgentSettingsApi();
app.MapWebhookEndpointsApi();
app.MapAlohaStreamApi();
app.MapReconciliationApi();

app.Run();
