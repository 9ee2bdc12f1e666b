using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Microsoft.Extensions.Hosting;

/// <summary>Every service documents itself the same way: /openapi/v1.json, and Scalar at /scalar outside Production.</summary>
public static class OpenApiExtensions
{
    private const string BearerScheme = "Bearer";

    /// <param name="description">The document's description (Markdown): what the service is for, how to authenticate.</param>
    public static IHostApplicationBuilder AddDefaultOpenApi(this IHostApplicationBuilder builder, string? description = null)
    {
        builder.Services.AddOpenApi(options => options.AddOperationTransformer(OpenApiProblemResponses.DescribeAsync).AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Description = description ?? document.Info.Description;
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A Supabase access token (HS256, aud 'authenticated') or a token from the configured OIDC authority. " +
                              "Send X-Workspace-Id when the user belongs to several workspaces.",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication MapDefaultOpenApi(this WebApplication app)
    {
        app.MapOpenApi();
        if (!app.Environment.IsProduction())
        {
            app.MapScalarApiReference();
        }
        return app;
    }
}
