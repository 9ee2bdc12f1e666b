using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ovrsee.Hosting.Dashboard.Otlp;

/// <summary>
/// OTLP/HTTP: POST /v1/traces, /v1/logs, /v1/metrics with application/x-protobuf bodies, as the
/// .NET exporter sends with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf. Like Aspire's dashboard it
/// wants the x-otlp-api-key header it handed the services, so no other local process can post.
/// </summary>
internal static class OtlpReceiver
{
    public const string ApiKeyHeader = "x-otlp-api-key";
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    public static void MapOtlpReceiver(this IEndpointRouteBuilder endpoints, TelemetryStore store, string apiKey)
    {
        endpoints.MapPost("/v1/traces", context => ReceiveAsync(context, apiKey, body => store.AddSpans(OtlpDecoder.Traces(body))));
        endpoints.MapPost("/v1/logs", context => ReceiveAsync(context, apiKey, body => store.AddLogs(OtlpDecoder.Logs(body))));
        endpoints.MapPost("/v1/metrics", context => ReceiveAsync(context, apiKey, body => store.AddMetrics(OtlpDecoder.Metrics(body))));
    }

    private static async Task ReceiveAsync(HttpContext context, string apiKey, Action<byte[]> accept)
    {
        var presented = Encoding.UTF8.GetBytes(context.Request.Headers[ApiKeyHeader].ToString());
        if (!CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(apiKey)))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (context.Request.ContentType?.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase) != true)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await context.Response.WriteAsync("Send application/x-protobuf (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).");
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(context.Request);
            accept(body);
        }
        catch (InvalidDataException ex)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"Not an OTLP protobuf message: {ex.Message}");
            return;
        }

        // An empty Export*ServiceResponse: full success, nothing partially rejected.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        var input = request.Headers.ContentEncoding.ToString().Equals("gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(request.Body, CompressionMode.Decompress)
            : request.Body;
        await using (input)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await input.ReadAsync(chunk)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    throw new InvalidDataException($"larger than {MaxBodyBytes / 1024 / 1024} MB");
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
    }
}
