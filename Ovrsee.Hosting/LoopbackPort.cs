using System.Net;
using System.Net.Sockets;

namespace Ovrsee.Hosting;

public static class LoopbackPort
{
    /// <summary>A port that was free a moment ago on 127.0.0.1.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether something could listen on 127.0.0.1:<paramref name="port"/> now (checked before starting, for a clear error).</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
