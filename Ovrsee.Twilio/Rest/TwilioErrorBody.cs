using System.Text.Json;

namespace Ovrsee.Twilio.Rest;

/// <summary>
/// Twilio's error JSON: <c>{"code": 21422, "message": "…", "more_info": "https://www.twilio.com/docs/errors/21422", "status": 400}</c>.
/// Read by the resilience pipeline (which sees the raw response, before the SDK does) to spot
/// Twilio's 20429, and by <see cref="TwilioClient"/> to describe bodies that are not Twilio's shape.
/// </summary>
internal readonly record struct TwilioErrorBody(int? Code, string? Message, string? MoreInfo)
{
    // Error bodies are a few hundred bytes; anything larger is not Twilio's JSON and is cut short.
    private const int MaxChars = 4096;

    public static async Task<TwilioErrorBody> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            // Buffered, so the pipeline's look at the body leaves it for the SDK to read.
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            return Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            return default;
        }
    }

    public static TwilioErrorBody Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }
        if (text.Length > MaxChars)
        {
            text = text[..MaxChars];
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new(null, Excerpt(text), null);
            }
            int? code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) && n != 0 ? n : null;
            var message = String(root, "message") ?? Describe(root);
            return new(code, message, String(root, "more_info"));
        }
        catch (JsonException)
        {
            return new(null, Excerpt(text), null);
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // Not Twilio's shape (a proxy, or a mock such as Prism answering with Problem Details): keep
    // what explains the refusal, including each validation message, so a contract failure is readable.
    private static string? Describe(JsonElement root)
    {
        var parts = new List<string>();
        foreach (var name in new[] { "title", "detail" })
        {
            if (String(root, name) is { Length: > 0 } part)
            {
                parts.Add(part);
            }
        }
        if (root.TryGetProperty("validation", out var validation) && validation.ValueKind == JsonValueKind.Array)
        {
            parts.AddRange(validation.EnumerateArray()
                .Select(v => String(v, "message"))
                .OfType<string>());
        }
        return parts.Count == 0 ? null : string.Join(" ", parts);
    }

    private static string? Excerpt(string text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Length <= 300 ? text.Trim() : text[..300].Trim() + "…";
}
