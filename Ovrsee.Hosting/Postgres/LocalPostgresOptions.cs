namespace Ovrsee.Hosting.Postgres;

public sealed class LocalPostgresOptions
{
    /// <summary>Holds data/, the generated password and the server log. Kept between runs.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>0 picks a free loopback port.</summary>
    public int Port { get; init; }

    public string? BinDirectory { get; init; }

    /// <summary>Tests trade durability for speed: no fsync, no full-page writes.</summary>
    public bool Ephemeral { get; init; }

    public int MaxConnections { get; init; } = 300;

    /// <summary>The login the services use; it is never a superuser, so row-level security applies.</summary>
    public string ServiceLogin { get; init; } = "ovrsee_app";
}
