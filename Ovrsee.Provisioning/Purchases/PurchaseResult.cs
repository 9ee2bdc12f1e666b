using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Ovrsee.Provisioning.WebhookConfiguration;

namespace Ovrsee.Provisioning.Purchases;

/// <summary>
/// A purchase's answer as status and JSON, so that exactly what the caller got can be stored
/// under the Idempotency-Key and replayed for the same key.
/// </summary>
public sealed record PurchaseResult(int Status, string Json, bool Replayed = false, TimeSpan? RetryAfter = null) : IResult
{
    public const string ReplayedHeader = "Idempotency-Replayed";

    // As ASP.NET Core writes JSON (web defaults, relaxed escaping), so stored answers read the same as live ones.
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The "type" ASP.NET Core's problem details service gives these statuses (RFC 9110 sections).
    private static readonly Dictionary<int, string> ProblemTypes = new()
    {
        [409] = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        [422] = "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        [502] = "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        [503] = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
    };

    public bool IsProblem => Status >= 400;

    public static PurchaseResult Created(ProvisionedNumber number) => new(StatusCodes.Status201Created, JsonSerializer.Serialize(number, JsonOptions));

    public static PurchaseResult Problem(int status, string title, string detail, TimeSpan? retryAfter = null) =>
        FromProblem(new ProblemDetails { Status = status, Title = title, Detail = detail }, retryAfter);

    public static PurchaseResult FromProblem(ProblemDetails problem, TimeSpan? retryAfter = null)
    {
        problem.Type ??= ProblemTypes.GetValueOrDefault(problem.Status ?? 500);
        return new(problem.Status ?? 500, JsonSerializer.Serialize(problem, JsonOptions), RetryAfter: retryAfter);
    }

    public static PurchaseResult Replay(NumberPurchase purchase) =>
        new(purchase.ResponseStatus ?? 500, purchase.ResponseBody ?? "{}", Replayed: true);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = IsProblem ? "application/problem+json" : "application/json";
        if (Replayed)
        {
            response.Headers[ReplayedHeader] = "true";
        }
        if (RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString();
        }
        if (Status == StatusCodes.Status201Created && LocationOf(Json) is { } location)
        {
            response.Headers.Location = location;
        }
        await response.WriteAsync(Json, httpContext.RequestAborted);
    }

    private static string? LocationOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("phoneNumber", out var number) && number.TryGetProperty("id", out var id)
            ? $"/api/telephony/phone-numbers/{id.GetString()}"
            : null;
    }
}
