using System.Net.WebSockets;

namespace Ovrsee.WebhookApi.AlohaStream;

public readonly record struct WebSocketMessage(WebSocketMessageType Type, int Length, bool TooLarge);

/// <summary>Reads whole WebSocket messages into a caller-owned buffer of fixed size: memory per socket is bounded.</summary>
public static class WebSocketMessageReader
{
    /// <returns>
    /// The message (its bytes are <c>buffer[..Length]</c>); <see cref="WebSocketMessageType.Close"/>
    /// when the peer closed; <see cref="WebSocketMessage.TooLarge"/> when it did not fit in
    /// <paramref name="maxBytes"/> (the rest is left unread: the socket should be closed).
    /// </returns>
    public static async ValueTask<WebSocketMessage> ReadAsync(WebSocket socket, byte[] buffer, int maxBytes, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == maxBytes)
            {
                return new WebSocketMessage(WebSocketMessageType.Binary, length, TooLarge: true);
            }
            var result = await socket.ReceiveAsync(buffer.AsMemory(length, maxBytes - length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new WebSocketMessage(WebSocketMessageType.Close, 0, TooLarge: false);
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return new WebSocketMessage(result.MessageType, length, TooLarge: false);
            }
        }
    }

    /// <summary>Sends our close frame (if the socket still allows it) without waiting for the peer's, within a time limit.</summary>
    public static async Task CloseOutputQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string description, TimeSpan timeout)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.CloseOutputAsync(status, description, cts.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }
}
