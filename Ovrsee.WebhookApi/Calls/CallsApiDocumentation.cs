using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ovrsee.WebhookApi.Calls;

/// <summary>
/// The calls list's query parameters as they really are: the handlers bind them as strings so
/// that every mistake gets a 400 naming its parameter, which would otherwise leave the reference
/// showing a bare string for each.
/// </summary>
internal static class CallsApiDocumentation
{
    private static readonly string[] Statuses =
        ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled", "rejected", "unknown"];

    public static TBuilder WithCallFilterParameters<TBuilder>(this TBuilder builder, bool paged) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            Describe(operation, "status", "Only calls in these statuses, comma-separated (e.g. completed,no-answer).",
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = Enum(Statuses) }, explode: false);
            Describe(operation, "outcome", "Only calls with these outcomes, comma-separated: forwarded (a person answered), agent, voicemail, rejected, missed, in-progress.",
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = Enum(CallListQuery.KnownOutcomes) }, explode: false);
            Describe(operation, "direction", "inbound, or outbound (any of Twilio's outbound directions).", Enum("inbound", "outbound"));
            Describe(operation, "phoneNumberId", "Only calls to this workspace number (its id).", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" });
            Describe(operation, "from", "Only calls from this caller, E.164 (send + as %2B).", E164());
            Describe(operation, "to", "Only calls to this number, E.164 (send + as %2B).", E164());
            Describe(operation, "since", "Only calls created at or after this time (ISO 8601 with offset).", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" });
            Describe(operation, "until", "Only calls created before this time (ISO 8601 with offset).", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" });
            Describe(operation, "hasVoicemail", "Only calls with (true) or without (false) a recorded voicemail.", new OpenApiSchema { Type = JsonSchemaType.Boolean });
            if (paged)
            {
                Describe(operation, "limit", $"Page size, 1-{CallListQuery.MaxLimit}.", new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = CallListQuery.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Default = JsonValue.Create(CallListQuery.DefaultLimit),
                });
                Describe(operation, "cursor", "nextCursor from the previous page; opaque.", new OpenApiSchema { Type = JsonSchemaType.String });
            }
            return Task.CompletedTask;
        });

    /// <summary>The recording's audio formats, as Twilio records them.</summary>
    public static TBuilder WithRecordingMediaTypes<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Responses ??= [];
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "The audio, with Range support (seek in a player). Cached privately for 5 minutes.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["audio/wav"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                    ["audio/mpeg"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                },
            };
            return Task.CompletedTask;
        });

    private static void Describe(OpenApiOperation operation, string name, string description, OpenApiSchema schema, bool explode = true)
    {
        if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name && p.In == ParameterLocation.Query) is not { } parameter)
        {
            return;
        }
        parameter.Description = description;
        parameter.Schema = schema;
        if (!explode)
        {
            parameter.Style = ParameterStyle.Form;
            parameter.Explode = false;
        }
    }

    private static OpenApiSchema Enum(params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
    };

    private static OpenApiSchema E164() => new() { Type = JsonSchemaType.String, Pattern = @"^\+[1-9][0-9]{1,14}$", Examples = [JsonValue.Create("+14155550100")] };
}
