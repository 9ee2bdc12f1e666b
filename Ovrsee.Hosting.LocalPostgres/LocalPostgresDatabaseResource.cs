using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.LocalPostgres;

/// <summary>
/// A database on a <see cref="LocalPostgresServerResource"/>. Aspire mirrors a parent's state onto
/// its children only for containers, so this one is created (CREATE DATABASE) and published as
/// Running by the integration once the server is healthy.
/// </summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;
    public LocalPostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
