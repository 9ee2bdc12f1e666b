using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

// Mirrors the ServiceDefaults project that Aspire's templates generate, so a service that
// calls AddServiceDefaults()/MapDefaultEndpoints() behaves the same under a real Aspire AppHost.
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            && string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SDK_DISABLED"]))
        {
            // Nothing would export them: spans (each request creates its Activity, sampled or not),
            // metric measurements and log records would be pure cost, about a fifth of a webhook's
            // CPU (docs/performance.md). The SDK is off unless a collector is configured (the AppHost
            // sets the endpoint) or OTEL_SDK_DISABLED says otherwise; this also covers what the Aspire
            // client integrations (Npgsql, ...) register.
            builder.Configuration.AddInMemoryCollection([new("OTEL_SDK_DISABLED", "true")]);
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Ovrsee.*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("Ovrsee.*")
                // Probes would drown the traces that matter.
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                    && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());
        builder.ConfigureTraceSampling();

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Head sampling: a share of root traces (Twilio's webhooks start them) is recorded, and a
    /// sampled parent's children always are. Spans cost CPU and allocations on every request
    /// whether or not anything exports them (docs/performance.md has the figures), so outside
    /// Development only 10 % are kept unless Telemetry:TraceSamplingRatio says otherwise. The
    /// standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG variables, when set, win.
    /// </summary>
    private static void ConfigureTraceSampling(this IHostApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_TRACES_SAMPLER"]))
        {
            return;
        }
        var ratio = builder.Configuration.GetValue<double?>("Telemetry:TraceSamplingRatio")
            ?? (builder.Environment.IsDevelopment() ? 1.0 : 0.1);
        if (ratio is < 0 or > 1)
        {
            throw new InvalidOperationException($"Telemetry:TraceSamplingRatio must be between 0 and 1 (it is {ratio}).");
        }
        builder.Services.AddOpenTelemetry().WithTracing(tracing =>
            tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio))));
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Aspire's template maps these only in Development; here the AppHost, the tests and the
        // Container Apps probes all need them, and they reveal nothing but Healthy/Unhealthy.
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
        });
        return app;
    }
}
