namespace Ovrsee.Hosting.Postgres;

public sealed class LocalPostgresOptions
{
    /// <summary>Holds data/, the generated password and the server log. Kept between runs.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>0 picks a free loopback port.</summary>
    public int Port { get; init; }

    public string? BinDirectory { get; init; }

    /// <summary>
    /// Tests trade durability against power loss for speed: no fsync, no full-page writes. Commits
    /// still wait for their WAL write (synchronous_commit stays on), so killing PostgreSQL loses
    /// nothing it acknowledged: the outage and restart tests depend on that.
    /// </summary>
    public bool Ephemeral { get; init; }

    public int MaxConnections { get; init; } = 300;

    /// <summary>The login the services use; it is never a superuser, so row-level security applies.</summary>
    public string ServiceLogin { get; init; } = "ovrsee_app";
}
