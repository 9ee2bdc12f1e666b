using System.Security.Claims;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Ovrsee.Auth;

public static class AuthenticationExtensions
{
    public const string SupabaseScheme = "supabase";
    public const string OidcScheme = "oidc";
    public const string WorkspaceUserPolicy = "workspace-user";
    public const string PerUserRateLimit = "per-user";

    /// <summary>Bearer JWTs from the Supabase secret and/or an OIDC authority; 401s as Problem Details; a per-user rate limit.</summary>
    public static IHostApplicationBuilder AddOvrseeAuthentication(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthOptions.SectionName);
        builder.Services.AddOptions<AuthOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        var options = section.Get<AuthOptions>() ?? new AuthOptions();

        var schemes = new List<string>();
        var authentication = builder.Services.AddAuthentication();
        if (!string.IsNullOrWhiteSpace(options.JwtSecret))
        {
            schemes.Add(SupabaseScheme);
            authentication.AddJwtBearer(SupabaseScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.JwtSecret)),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ValidateIssuer = !string.IsNullOrWhiteSpace(options.JwtIssuer),
                    ValidIssuer = options.JwtIssuer,
                    ValidAudience = options.Audience,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "sub",
                };
                jwt.Events = ProblemDetailsChallenge();
            });
        }
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            schemes.Add(OidcScheme);
            authentication.AddJwtBearer(OidcScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.Authority = options.Authority;
                jwt.Audience = options.AuthorityAudience ?? options.Audience;
                jwt.RequireHttpsMetadata = !builder.Environment.IsDevelopment();
                jwt.TokenValidationParameters.NameClaimType = "sub";
                jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
                jwt.Events = ProblemDetailsChallenge();
            });
        }

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(WorkspaceUserPolicy, policy => policy
                .AddAuthenticationSchemes([.. schemes.DefaultIfEmpty(SupabaseScheme)])
                // No RequireClaim("sub"): its bare 403 would differ from a malformed sub's 401.
                // RequireWorkspaceFilter answers both with the same 401 Problem Details.
                .RequireAuthenticatedUser());

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PerUserRateLimit, context => RateLimitPartition.GetSlidingWindowLimiter(
                context.User.FindFirstValue("sub") ?? context.Connection.RemoteIpAddress?.ToString() ?? "anonymous",
                _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = options.UserRequestsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                }));
        });
        return builder;
    }

    /// <summary>A 401 says why (missing, expired, bad signature, wrong audience) in Problem Details.</summary>
    private static JwtBearerEvents ProblemDetailsChallenge() => new()
    {
        OnChallenge = async context =>
        {
            context.HandleResponse();
            var detail = context.AuthenticateFailure switch
            {
                SecurityTokenExpiredException => "The bearer token has expired.",
                SecurityTokenInvalidAudienceException => "The bearer token is not meant for this API (audience).",
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The bearer token's signature is not valid.",
                not null => "The bearer token is not valid.",
                null => "A bearer token is required (Authorization: Bearer <token>).",
            };
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            var problem = new ProblemDetails { Status = 401, Title = "Unauthorized", Detail = detail };
            var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
            // WriteAsync throws when no writer accepts the request's Accept header (an EventSource sends
            // Accept: text/event-stream), which turned this 401 into a 500. The 401 goes out as JSON anyway,
            // as ASP.NET Core's own ProblemHttpResult does.
            if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context.HttpContext, ProblemDetails = problem }))
            {
                await context.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json");
            }
        },
    };
}
