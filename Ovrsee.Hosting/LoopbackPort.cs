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
}
