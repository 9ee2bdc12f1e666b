using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Ovrsee.Auth;

namespace Ovrsee.AppHost;

/// <summary>
/// `dotnet run --project Ovrsee.AppHost -- dev-token`: a bearer token for the seeded dev
/// workspace's owner, signed with the secret the AppHost gives the services. Never in Production.
/// </summary>
internal static class DevToken
{
    private const string SecretFile = "dev-jwt-secret";

    public static int Run(string[] args)
    {
        var repositoryRoot = AppContext.BaseDirectory;
        while (Path.GetDirectoryName(repositoryRoot.TrimEnd('/')) is { } parent && !File.Exists(Path.Combine(repositoryRoot, "Ovrsee.Aspire.sln")))
        {
            repositoryRoot = parent;
        }
        var configuration = new ConfigurationManager();
        configuration.AddUserSecrets(typeof(DevToken).Assembly, optional: true).AddEnvironmentVariables();
        AppHostSettings.AddSources(configuration, repositoryRoot, args);
        var environment = configuration["DOTNET_ENVIRONMENT"] ?? configuration["ASPNETCORE_ENVIRONMENT"] ?? "Development";
        if (string.Equals(environment, "Production", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine("dev-token is not available in Production.");
            return 1;
        }

        var token = ForDevOwner(configuration, AppHostSettings.From(configuration, repositoryRoot).StateDirectory);

        Console.Error.WriteLine($"Token for the dev workspace owner (user {DevSeed.OwnerUserId}, workspace {DevSeed.WorkspaceId}, number {DevSeed.PhoneNumber}), valid 12 hours:");
        Console.WriteLine(token);
        Console.Error.WriteLine();
        Console.Error.WriteLine("Try:  curl -H \"Authorization: Bearer $(dotnet run --project Ovrsee.AppHost -- dev-token 2>/dev/null)\" http://127.0.0.1:5180/api/aloha/calls");
        return 0;
    }

    /// <summary>A token for the seeded dev workspace's owner, signed with the secret the services were given.</summary>
    public static string ForDevOwner(IConfiguration configuration, string stateDirectory)
    {
        var secret = configuration["Auth:JwtSecret"];
        if (string.IsNullOrWhiteSpace(secret))
        {
            secret = DevJwtSecret(stateDirectory);
        }
        return SupabaseStyleToken.Create(secret, DevSeed.OwnerUserId, TimeSpan.FromHours(12));
    }

    /// <summary>The local stand-in for the Supabase JWT secret, made once per checkout.</summary>
    public static string DevJwtSecret(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, SecretFile);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        }
        return File.ReadAllText(path).Trim();
    }
}
