using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ovrsee.Tests.Events;

/// <summary>One frame as an EventSource parses it (WHATWG HTML, "Server-sent events"): fields up to a blank line.</summary>
public sealed record SseFrame(string? Id, string? Event, string? Data, string? Retry, IReadOnlyList<string> Comments)
{
    public bool IsEvent => Data is not null;
    public JsonElement Json => JsonDocument.Parse(Data!).RootElement.Clone();
}

/// <summary>
/// A real SSE client over HttpClient streaming: a GET that stays open, read line by line as the
/// bytes arrive. Every read has a generous bound so a broken feed fails the test instead of hanging it.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan OverallBound = TimeSpan.FromSeconds(90);
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Sends the request and returns once the headers are in (the body stays open).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, string pathAndQuery, string? token, string? lastEventId = null, string accept = "text/event-stream")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(accept));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }
        using var timeout = new CancellationTokenSource(ReadBound);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }

    /// <summary>Connects and reads up to the <c>retry:</c> hint, after which the server is subscribed: what commits from now on arrives.</summary>
    public static async Task<SseClient> ConnectAsync(HttpClient http, string pathAndQuery, string token, string? lastEventId = null)
    {
        var response = await SendAsync(http, pathAndQuery, token, lastEventId);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var client = new SseClient(response, await response.Content.ReadAsStreamAsync());
        var first = await client.NextFrameAsync();
        Assert.NotNull(first.Retry);
        return client;
    }

    public async Task<SseFrame> NextFrameAsync(CancellationToken overall = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(overall);
        timeout.CancelAfter(ReadBound);
        string? id = null, type = null, retry = null;
        StringBuilder? data = null;
        var comments = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token)
                ?? throw new EndOfStreamException("The server ended the stream.");
            if (line.Length == 0)
            {
                if (id is null && type is null && data is null && retry is null && comments.Count == 0)
                {
                    continue;
                }
                return new SseFrame(id, type, data?.ToString(), retry, comments);
            }
            if (line[0] == ':')
            {
                comments.Add(line[1..].TrimStart());
                continue;
            }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "retry": retry = value; break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
            }
        }
    }

    /// <summary>The next frame that carries an event (heartbeats and hints skipped).</summary>
    public async Task<SseFrame> NextEventAsync(CancellationToken overall = default)
    {
        // Heartbeats keep arriving on a stream that carries no event: bound the whole wait, not each frame.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(overall);
        deadline.CancelAfter(OverallBound);
        while (true)
        {
            var frame = await NextFrameAsync(deadline.Token);
            if (frame.IsEvent)
            {
                return frame;
            }
        }
    }

    /// <summary>Events up to and including the one whose envelope id is <paramref name="lastId"/>.</summary>
    public async Task<List<SseFrame>> EventsThroughAsync(Guid lastId)
    {
        var frames = new List<SseFrame>();
        using var deadline = new CancellationTokenSource(OverallBound);
        while (true)
        {
            var frame = await NextEventAsync(deadline.Token);
            frames.Add(frame);
            if (frame.Json.GetProperty("id").GetGuid() == lastId)
            {
                return frames;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
