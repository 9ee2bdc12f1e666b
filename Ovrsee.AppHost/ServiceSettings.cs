using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Ovrsee.AppHost;

/// <summary>
/// The Twilio credentials, the public URL and the JWT secret, as Aspire parameters (secrets masked in
/// the dashboard). Each is read from its options name (Twilio:AuthToken) or the seed's environment
/// name (TWILIO_AUTH_TOKEN); without an Auth Token or a JWT secret, local dev stand-ins keep
/// everything working offline.
/// </summary>
internal sealed record ServiceSettings(IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> Environment, string AuthToken, string? JwtSecret);

internal static class ServiceSettingsExtensions
{
    // (parameter, options name, the seed's name, the services' environment variable, secret)
    private static readonly (string Parameter, string Section, string? Flat, string Variable, bool Secret)[] Settings =
    [
        ("twilio-account-sid", "Twilio:AccountSid", "TWILIO_ACCOUNT_SID", "Twilio__AccountSid", false),
        ("twilio-auth-token", "Twilio:AuthToken", "TWILIO_AUTH_TOKEN", "Twilio__AuthToken", true),
        ("twilio-api-key", "Twilio:ApiKey", "TWILIO_API_KEY", "Twilio__ApiKey", false),
        ("twilio-api-secret", "Twilio:ApiSecret", "TWILIO_API_SECRET", "Twilio__ApiSecret", true),
        ("public-url", "Webhooks:PublicBaseUrl", "NEXT_PUBLIC_APP_URL", "Webhooks__PublicBaseUrl", false),
        ("auth-jwt-secret", "Auth:JwtSecret", null, "Auth__JwtSecret", true),
        ("auth-authority", "Auth:Authority", null, "Auth__Authority", false),
    ];

    public static AppHostSettings ReadOvrseeSettings(this IDistributedApplicationBuilder builder, string[] args)
    {
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        AppHostSettings.AddSources(builder.Configuration, repositoryRoot, args);
        return AppHostSettings.From(builder.Configuration, repositoryRoot);
    }

    public static ServiceSettings AddServiceSettings(this IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        var configuration = builder.Configuration;
        var parameters = new Dictionary<string, IResourceBuilder<ParameterResource>>();
        var devAuthToken = builder.ExecutionContext.IsRunMode ? TwilioSettingsCheck.Report(configuration, settings.StateDirectory) : null;
        var usesAuthority = !string.IsNullOrWhiteSpace(configuration["Auth:Authority"]);
        foreach (var (parameter, section, flat, variable, secret) in Settings)
        {
            var value = Value(configuration, section) ?? (flat is null ? null : Value(configuration, flat));
            value ??= parameter switch
            {
                "twilio-auth-token" => devAuthToken,
                "auth-jwt-secret" when !usesAuthority && builder.ExecutionContext.IsRunMode => DevToken.DevJwtSecret(settings.StateDirectory),
                _ => null,
            };
            if (value is not null)
            {
                parameters[variable] = builder.AddParameter(parameter, value, secret: secret);
            }
        }
        return new(parameters, Value(configuration, "Twilio:AuthToken") ?? Value(configuration, "TWILIO_AUTH_TOKEN") ?? devAuthToken ?? "",
            parameters.ContainsKey("Auth__JwtSecret") ? Value(configuration, "Auth:JwtSecret") ?? DevToken.DevJwtSecret(settings.StateDirectory) : null);
    }

    public static IResourceBuilder<ProjectResource> WithServiceSettings(this IResourceBuilder<ProjectResource> service, ServiceSettings settings)
    {
        var environment = service.ApplicationBuilder.Environment.EnvironmentName;
        service.WithEnvironment("ASPNETCORE_ENVIRONMENT", environment).WithEnvironment("DOTNET_ENVIRONMENT", environment);
        foreach (var (variable, parameter) in settings.Environment)
        {
            service.WithEnvironment(variable, parameter);
        }
        return service;
    }

    private static string? Value(IConfiguration configuration, string key) =>
        string.IsNullOrWhiteSpace(configuration[key]) ? null : configuration[key]!.Trim();
}
