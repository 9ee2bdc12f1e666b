using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The error answers every operation can give, so a reader of the reference sees them all: 401,
/// 403 and 429 where a bearer token is required, 404 where the route names a resource, and
/// Problem Details (application/problem+json) as the body of every 4xx and 5xx.
/// </summary>
internal static class OpenApiProblemResponses
{
    private const string ProblemJson = "application/problem+json";

    public static Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= [];
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
        {
            Add(operation, "401", "No valid bearer token: missing, expired, wrongly signed, for another audience, or without a user id in sub.");
            Add(operation, "403", "Not a member of the workspace (X-Workspace-Id), or the role does not allow this operation.");
            Add(operation, "429", "Too many requests from this user: wait for Retry-After.");
        }
        if (context.Description.RelativePath?.Contains('{') == true)
        {
            Add(operation, "404", "No such resource in the caller's workspace (another workspace's is not found either).");
        }
        foreach (var (status, response) in operation.Responses)
        {
            if (status.Length == 3 && status[0] is '4' or '5' && response is OpenApiResponse concrete)
            {
                concrete.Content ??= new Dictionary<string, OpenApiMediaType>();
                if (!concrete.Content.ContainsKey(ProblemJson))
                {
                    concrete.Content.Clear();
                    concrete.Content[ProblemJson] = new OpenApiMediaType { Schema = ProblemSchema() };
                }
            }
        }
        return Task.CompletedTask;
    }

    private static void Add(OpenApiOperation operation, string status, string description)
    {
        if (!operation.Responses!.ContainsKey(status))
        {
            operation.Responses[status] = new OpenApiResponse { Description = description };
        }
    }

    /// <summary>RFC 9457 Problem Details as ASP.NET Core writes them (validation problems add errors).</summary>
    private static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 Problem Details.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong, the same for every occurrence." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "This occurrence, and what to do about it." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Validation problems (400): the field or parameter, then its messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String },
        },
        Examples = [new JsonObject { ["title"] = "Unauthorized", ["status"] = 401, ["detail"] = "The bearer token has expired." }],
    };
}
