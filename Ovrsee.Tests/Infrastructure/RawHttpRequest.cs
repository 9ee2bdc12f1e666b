using System.Net.Sockets;
using System.Text;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// An HTTP/1.1 request written by hand over a socket, for what HttpClient will not do: a body
/// that is sent only in part, or slowly, while we watch what the server answers.
/// </summary>
public sealed class RawHttpRequest : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;

    public static async Task<RawHttpRequest> SendHeadersAsync(Uri baseAddress, string path, IDictionary<string, string> headers, int contentLength)
    {
        var request = new RawHttpRequest();
        await request._client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        request._stream = request._client.GetStream();
        var head = new StringBuilder($"POST {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nContent-Length: {contentLength}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("\r\n");
        await request._stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        return request;
    }

    public async Task SendBodyAsync(string part)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(part));
        await _stream.FlushAsync();
    }

    /// <summary>The status code of the answer, or null when the server closed without one.</summary>
    public async Task<int?> ReadStatusCodeAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        var received = new StringBuilder();
        while (!received.ToString().Contains("\r\n", StringComparison.Ordinal))
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                return null;
            }
            if (read == 0)
            {
                return null;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        var statusLine = received.ToString()[..received.ToString().IndexOf("\r\n", StringComparison.Ordinal)];
        return int.Parse(statusLine.Split(' ')[1]);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
