using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Dashboard.Otlp;

namespace Ovrsee.Hosting.Dashboard;

/// <summary>
/// What Aspire's dashboard shows, served from the AppHost's own process: resources with state,
/// health and endpoints, each one's console, structured logs, traces and metrics received over OTLP.
/// Loopback only.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _web;

    private DashboardServer(WebApplication web, Uri url, string otlpApiKey, TelemetryStore telemetry)
    {
        _web = web;
        Url = url;
        OtlpApiKey = otlpApiKey;
        Telemetry = telemetry;
    }

    public Uri Url { get; }
    /// <summary>Where services send OTLP (the same port as the page).</summary>
    public Uri OtlpEndpoint => Url;
    public string OtlpApiKey { get; }
    public TelemetryStore Telemetry { get; }

    /// <summary>A key for the OTLP endpoint, new on every run.</summary>
    public static string NewApiKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <param name="resources">Read on every request, so the page follows the application as it starts and stops.</param>
    public static async Task<DashboardServer> StartAsync(int port, string otlpApiKey, Func<IReadOnlyList<Resource>> resources, CancellationToken cancellationToken = default)
    {
        if (!LoopbackPort.IsFree(port))
        {
            throw PortInUse(port, "address already in use");
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Ovrsee.Dashboard", Args = [] });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        // Browsers poll; nothing long-lived to drain, so stopping is quick.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // Signals belong to the AppHost, which stops the dashboard last. The default ConsoleLifetime
        // would stop it at Ctrl+C, before the services, and hold the process's exit for seconds.
        builder.Services.AddSingleton<IHostLifetime, StoppedByOwner>();

        var telemetry = new TelemetryStore();
        var web = builder.Build();
        web.Use(RejectForeignHosts);
        web.MapDashboardPage();
        web.MapDashboardApi(resources, telemetry);
        web.MapOtlpReceiver(telemetry, otlpApiKey);

        try
        {
            await web.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await web.DisposeAsync();
            throw PortInUse(port, ex.Message);
        }
        return new DashboardServer(web, new Uri($"http://127.0.0.1:{port}/"), otlpApiKey, telemetry);
    }

    private static InvalidOperationException PortInUse(int port, string reason) => new(
        $"The dashboard cannot listen on 127.0.0.1:{port} ({reason}). Is another AppHost or Aspire dashboard running? Choose another port with --dashboard-port.");

    // A web page elsewhere could make the browser resolve its own name to 127.0.0.1 (DNS
    // rebinding) and read logs through it; such requests carry that other Host header.
    private static Task RejectForeignHosts(HttpContext context, RequestDelegate next)
    {
        var host = context.Request.Host.Host;
        if (host is "127.0.0.1" or "localhost" or "[::1]" or "::1")
        {
            return next(context);
        }
        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        return Task.CompletedTask;
    }

    private sealed class StoppedByOwner : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }
}
