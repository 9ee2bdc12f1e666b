using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.LocalPostgres;

/// <summary>
/// A PostgreSQL server run by the orchestrator from the machine's installed binaries: what
/// <c>AddPostgres</c> gives with a container, where no container engine answers. Its connection
/// string is the superuser's, on 127.0.0.1, like the container's.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string rootDirectory, ParameterResource password)
    : ExecutableResource(name, "/bin/sh", rootDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string Superuser = "postgres";

    private EndpointReference? _endpoint;

    /// <summary>Holds data/ (kept between runs), the generated password and the launcher script.</summary>
    public string RootDirectory { get; } = rootDirectory;
    public string DataDirectory => Path.Combine(RootDirectory, "data");
    public ParameterResource PasswordParameter { get; } = password;
    public EndpointReference PrimaryEndpoint => _endpoint ??= new(this, EndpointName);

    // 127.0.0.1 rather than the endpoint's "localhost": the server listens on IPv4 only.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={Superuser};Password={PasswordParameter}");

    internal Dictionary<string, LocalPostgresDatabaseResource> Databases { get; } = new(StringComparer.Ordinal);
}
