using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Dashboard;

namespace Ovrsee.Tests.AppHost;

/// <summary>The dashboard fed by the real OpenTelemetry OTLP exporter (http/protobuf), as the services feed it.</summary>
public class OtlpReceiverTests : IAsyncLifetime
{
    private const string ApiKey = "test-otlp-key";
    private DashboardServer _dashboard = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _dashboard = await DashboardServer.StartAsync(LoopbackPort.Free(), ApiKey, () => []);
        _http = new HttpClient { BaseAddress = _dashboard.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _dashboard.DisposeAsync();
    }

    private void Export(OtlpExporterOptions options, string signal)
    {
        options.Endpoint = new Uri(_dashboard.OtlpEndpoint, signal);
        options.Protocol = OtlpExportProtocol.HttpProtobuf;
        options.Headers = $"x-otlp-api-key={ApiKey}";
        options.ExportProcessorType = ExportProcessorType.Simple;
    }

    [Fact]
    public async Task Spans_keep_their_parent_attributes_status_and_events_and_logs_their_level_message_and_trace()
    {
        var source = new ActivitySource($"Ovrsee.Tests.{Guid.NewGuid():N}");
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("webhookapi"));
            o.AddOtlpExporter(e => Export(e, "v1/logs"));
        }));
        string traceId;
        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService("webhookapi"))
            .AddSource(source.Name)
            .AddOtlpExporter(e => Export(e, "v1/traces"))
            .Build())
        {
            using (var request = source.StartActivity("POST /api/aloha/webhooks/incoming-call", ActivityKind.Server))
            {
                traceId = request!.TraceId.ToHexString();
                request.SetTag("http.response.status_code", 500);
                using (var query = source.StartActivity("postgresql", ActivityKind.Client))
                {
                    query!.SetTag("db.system.name", "postgresql");
                    query.AddException(new TimeoutException("no answer"));
                    query.SetStatus(ActivityStatusCode.Error, "timed out");
                }
                loggerFactory.CreateLogger("Ovrsee.WebhookApi.Calls").LogWarning("Call {CallSid} waited {Ms} ms", "CA1", 42);
                loggerFactory.CreateLogger("Ovrsee.WebhookApi.Calls").LogInformation("Call {CallSid} answered", "CA1");
            }
            tracing.ForceFlush();
        }

        var trace = Assert.Single(await _http.GetFromJsonAsync<JsonElement[]>("api/traces") ?? []);
        Assert.Equal(traceId, trace.GetProperty("traceId").GetString());
        Assert.Equal("POST /api/aloha/webhooks/incoming-call", trace.GetProperty("name").GetString());
        Assert.Equal(2, trace.GetProperty("spanCount").GetInt32());
        Assert.True(trace.GetProperty("hasError").GetBoolean());

        var spans = await _http.GetFromJsonAsync<JsonElement[]>($"api/traces/{traceId}") ?? [];
        var (root, child) = (spans[0], spans[1]);
        Assert.Equal(root.GetProperty("spanId").GetString(), child.GetProperty("parentSpanId").GetString());
        Assert.Equal(("server", "client"), (root.GetProperty("kind").GetString(), child.GetProperty("kind").GetString()));
        Assert.Equal("webhookapi", child.GetProperty("service").GetString());
        Assert.Equal(("error", "timed out"), (child.GetProperty("status").GetString(), child.GetProperty("statusMessage").GetString()));
        Assert.Contains(root.GetProperty("attributes").EnumerateArray(), a => a.GetProperty("key").GetString() == "http.response.status_code" && a.GetProperty("value").GetString() == "500");
        Assert.Equal("exception", Assert.Single(child.GetProperty("events").EnumerateArray()).GetProperty("name").GetString());
        Assert.True(root.GetProperty("durationMs").GetDouble() >= child.GetProperty("durationMs").GetDouble());

        var log = Assert.Single(await _http.GetFromJsonAsync<JsonElement[]>("api/logs?level=Warning") ?? []);
        Assert.Equal(("Warning", "Call CA1 waited 42 ms"), (log.GetProperty("level").GetString(), log.GetProperty("message").GetString()));
        Assert.Equal(("webhookapi", "Ovrsee.WebhookApi.Calls"), (log.GetProperty("service").GetString(), log.GetProperty("category").GetString()));
        Assert.Equal(traceId, log.GetProperty("traceId").GetString());
        Assert.Contains(log.GetProperty("attributes").EnumerateArray(), a => a.GetProperty("key").GetString() == "CallSid" && a.GetProperty("value").GetString() == "CA1");
        Assert.Empty(await _http.GetFromJsonAsync<JsonElement[]>("api/logs?level=Error") ?? []);
        Assert.Equal(2, (await _http.GetFromJsonAsync<JsonElement[]>("api/logs?level=Information") ?? []).Length);
    }

    [Fact]
    public async Task Metrics_show_each_instrument_s_latest_value()
    {
        using var meter = new Meter($"Ovrsee.Tests.{Guid.NewGuid():N}");
        var calls = meter.CreateCounter<long>("ovrsee.calls", unit: "{call}");
        using (var metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("webhookapi"))
            .AddMeter(meter.Name)
            .AddOtlpExporter(e => Export(e, "v1/metrics"))
            .Build())
        {
            calls.Add(2, new KeyValuePair<string, object?>("status", "completed"));
            calls.Add(1, new KeyValuePair<string, object?>("status", "rejected"));
            metrics.ForceFlush();
        }

        var metric = Assert.Single(await _http.GetFromJsonAsync<JsonElement[]>("api/metrics") ?? []);
        Assert.Equal(("ovrsee.calls", "sum", "{call}"), (metric.GetProperty("name").GetString(), metric.GetProperty("kind").GetString(), metric.GetProperty("unit").GetString()));
        Assert.Equal(3, metric.GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Refuses_posts_without_the_key_json_bodies_garbage_and_foreign_host_names()
    {
        var protobuf = new ByteArrayContent([]) { Headers = { ContentType = new("application/x-protobuf") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.PostAsync("v1/traces", protobuf)).StatusCode);

        var json = new HttpRequestMessage(HttpMethod.Post, "v1/logs") { Content = JsonContent.Create(new { resourceLogs = Array.Empty<object>() }) };
        json.Headers.Add("x-otlp-api-key", ApiKey);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _http.SendAsync(json)).StatusCode);

        var garbage = new HttpRequestMessage(HttpMethod.Post, "v1/traces") { Content = new ByteArrayContent([0x0A, 0xFF]) { Headers = { ContentType = new("application/x-protobuf") } } };
        garbage.Headers.Add("x-otlp-api-key", ApiKey);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.SendAsync(garbage)).StatusCode);

        var rebound = new HttpRequestMessage(HttpMethod.Get, "api/logs") { Headers = { Host = "attacker.example" } };
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await _http.SendAsync(rebound)).StatusCode);
    }
}
