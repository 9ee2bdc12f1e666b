using Ovrsee.Provisioning.PhoneNumbers;
using Ovrsee.Provisioning.Purchases;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Provisioning.WebhookConfiguration;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

if (await app.TryRunMigrateCommandAsync(args))
{
    return;
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapDefaultEndpoints();
app.MapDefaultOpenApi();
app.MapTwilioNumbersApi();
app.MapPurchaseNumberApi();
app.MapWebhookConfigurationApi();
app.MapPhoneNumbersApi();

app.Run();
