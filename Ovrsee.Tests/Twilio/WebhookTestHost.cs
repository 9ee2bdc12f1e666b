using Ovrsee.Tests.Infrastructure;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ovrsee.Twilio.AspNetCore;
using Twilio.TwiML;

namespace Ovrsee.Tests.Twilio;

/// <summary>
/// A real Kestrel server on 127.0.0.1:0 with one signed endpoint (and one in a signed group)
/// that records every request its handler actually saw.
/// </summary>
internal sealed class WebhookTestHost : IAsyncDisposable
{
    public const string AuthToken = "0123456789abcdef0123456789abcdef";
    public const string VoicePath = "/twilio/voice";
    public const string GroupedPath = "/twilio/group/status";

    private readonly WebApplication _app;

    private WebhookTestHost(WebApplication app, Uri baseAddress, ConcurrentQueue<TwilioRequest> handled, CapturingLoggerProvider logs)
    {
        _app = app;
        BaseAddress = baseAddress;
        Handled = handled;
        Logs = logs;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    /// <summary>e.g. <c>http://127.0.0.1:54321</c> (no trailing slash).</summary>
    public Uri BaseAddress { get; }

    public string LocalUrl(string pathAndQuery) => BaseAddress.GetLeftPart(UriPartial.Authority) + pathAndQuery;

    public HttpClient Client { get; }

    public ConcurrentQueue<TwilioRequest> Handled { get; }

    public CapturingLoggerProvider Logs { get; }

    public static async Task<WebhookTestHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var builder = LoopbackWebApp.CreateBuilder();

        // Hermetic: no TWILIO_* from the machine running the tests.
        builder.Configuration.Sources.Clear();
        var configuration = new Dictionary<string, string?> { ["Twilio:AuthToken"] = AuthToken };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddTwilioRequestValidation(builder.Configuration);

        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs);

        var app = builder.Build();

        var handled = new ConcurrentQueue<TwilioRequest>();
        IResult Handle(HttpContext context)
        {
            handled.Enqueue(context.GetTwilioRequest());
            return Results.Extensions.TwiML(new VoiceResponse().Say("Thanks for calling."));
        }

        app.MapPost(VoicePath, Handle).ValidateTwilioRequest();
        app.MapGroup("/twilio/group").ValidateTwilioRequest().MapPost("/status", Handle);

        var address = await LoopbackWebApp.StartAsync(app);
        return new WebhookTestHost(app, address, handled, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((logLevel, category, formatter(state, exception)));
    }
}

/// <summary>A body HttpClient must send chunked, so the server cannot know its length up front.</summary>
internal sealed class ChunkedContent : HttpContent
{
    private readonly byte[] _bytes;

    public ChunkedContent(byte[] bytes, string mediaType)
    {
        _bytes = bytes;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        stream.WriteAsync(_bytes).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
