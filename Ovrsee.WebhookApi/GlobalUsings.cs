global using Ovrsee.Data;
global using Ovrsee.WebhookApi.Extensions;
global using Ovrsee.WebhookApi.Apis;
