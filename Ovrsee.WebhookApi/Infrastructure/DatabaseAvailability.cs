using System.Net.Sockets;
using Npgsql;

namespace Ovrsee.WebhookApi.Infrastructure;

public static class DatabaseAvailability
{
    /// <summary>
    /// True when the failure says "PostgreSQL is not there right now" (refused, reset, shutting
    /// down, too many connections, timed out) rather than "this statement is wrong".
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException => true,
        SocketException or TimeoutException or IOException => true,
        OperationCanceledException => true,
        _ => exception.InnerException is not null && IsUnavailable(exception.InnerException),
    };
}
