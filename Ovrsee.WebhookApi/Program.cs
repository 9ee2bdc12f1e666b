var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

if (await app.TryRunMigrateCommandAsync(args))
{
    return;
}

app.MapDefaultEndpoints();

app.Run();
