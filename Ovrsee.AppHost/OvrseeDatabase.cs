using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;

namespace Ovrsee.AppHost;

/// <summary>
/// The "ovrsee" database, wherever it comes from. <see cref="Resource"/>'s connection string is the
/// owner's (migrations run with it); the services log in as <see cref="ServiceLogin"/>, which is
/// never a superuser, so row-level security applies to them.
/// </summary>
internal sealed record OvrseeDatabase(
    IResourceBuilder<IResourceWithConnectionString> Resource,
    ReferenceExpression ServiceConnectionString,
    ReferenceExpression? ServiceLoginPassword,
    bool IsLocal)
{
    public const string Name = "ovrsee";
    public const string ServiceLogin = "ovrsee_app";
}

internal static class OvrseeDatabaseExtensions
{
    /// <summary>
    /// ConnectionStrings:ovrsee set → that server (e.g. Supabase), as it is. Otherwise PostgreSQL in a
    /// container where a container runtime answers (and when publishing), else from the installed
    /// server binaries. Postgres:Container (--postgres-container) = true/false forces the choice.
    /// </summary>
    public static OvrseeDatabase AddOvrseeDatabase(this IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.ExternalConnectionString))
        {
            var external = builder.AddConnectionString(OvrseeDatabase.Name);
            return new(external, ReferenceExpression.Create($"{external.Resource}"), ServiceLoginPassword: null, IsLocal: false);
        }

        if (UseContainer(builder, settings.PostgresContainer))
        {
            var postgres = builder.AddPostgres("postgres", port: settings.PostgresPort).WithDataVolume();
            var database = postgres.AddDatabase(OvrseeDatabase.Name);
            var endpoint = postgres.Resource.PrimaryEndpoint;
            var password = postgres.Resource.PasswordParameter;
            return new(database.AsConnectionString(), ReferenceExpression.Create(
                    $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={OvrseeDatabase.ServiceLogin};Password={password};Database={OvrseeDatabase.Name}"),
                ReferenceExpression.Create($"{password}"), IsLocal: true);
        }

        var local = builder.AddLocalPostgres("postgres", Path.Combine(settings.StateDirectory, "postgres"),
            settings.PostgresPort, settings.PostgresBinDirectory, settings.EphemeralDatabase);
        var localDatabase = local.AddDatabase(OvrseeDatabase.Name);
        var localEndpoint = local.Resource.PrimaryEndpoint;
        var localPassword = local.Resource.PasswordParameter;
        return new(localDatabase.AsConnectionString(), ReferenceExpression.Create(
                $"Host=127.0.0.1;Port={localEndpoint.Property(EndpointProperty.Port)};Username={OvrseeDatabase.ServiceLogin};Password={localPassword};Database={OvrseeDatabase.Name}"),
            ReferenceExpression.Create($"{localPassword}"), IsLocal: true);
    }

    /// <summary>The migrate step also creates the services' login and grants it the tenant roles.</summary>
    public static IResourceBuilder<ProjectResource> WithServiceLogin(this IResourceBuilder<ProjectResource> migrate, OvrseeDatabase database) =>
        database.ServiceLoginPassword is { } password
            ? migrate.WithEnvironment("Database__ServiceLogin", OvrseeDatabase.ServiceLogin).WithEnvironment("Database__ServiceLoginPassword", password)
            : migrate;

    public static IResourceBuilder<ProjectResource> WithDatabase(this IResourceBuilder<ProjectResource> service, OvrseeDatabase database) =>
        service.WithEnvironment($"ConnectionStrings__{OvrseeDatabase.Name}", database.ServiceConnectionString);

    private static IResourceBuilder<IResourceWithConnectionString> AsConnectionString<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithConnectionString => builder.ApplicationBuilder.CreateResourceBuilder<IResourceWithConnectionString>(builder.Resource);

    private static bool UseContainer(IDistributedApplicationBuilder builder, string setting) => setting.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => builder.ExecutionContext.IsPublishMode || ContainerRuntimeAnswers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker"),
    };

    /// <summary>Whether the container runtime's daemon answers (a docker client without a daemon does not).</summary>
    private static bool ContainerRuntimeAnswers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
