global using Ovrsee.Data;
global using Ovrsee.WebhookApi.Extensions;
