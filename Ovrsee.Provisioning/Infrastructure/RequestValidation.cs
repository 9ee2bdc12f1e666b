using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ovrsee.Provisioning.Infrastructure;

/// <summary>
/// Field-by-field errors for a 400 Problem Details (<c>errors: { "phoneNumber": ["…"] }</c>).
/// Bodies are read here rather than by model binding so that every mistake names its field,
/// including a value of the wrong JSON type, which binding reports only as "bad body".
/// </summary>
public sealed class RequestErrors : Dictionary<string, string[]>
{
    public void Add(string field, string message) =>
        this[field] = TryGetValue(field, out var existing) ? [.. existing, message] : [message];
}

public static partial class RequestValidation
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The body as a JSON object with only <paramref name="allowed"/> properties, or null with errors.</summary>
    public static async Task<JsonElement?> ReadObjectAsync(HttpRequest request, RequestErrors errors, CancellationToken cancellationToken, params string[] allowed)
    {
        if (!request.HasJsonContentType())
        {
            errors.Add("body", "Send a JSON object with Content-Type: application/json.");
            return null;
        }
        JsonElement root;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            errors.Add("body", $"Not valid JSON: {ex.Message}");
            return null;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "Must be a JSON object.");
            return null;
        }
        foreach (var property in root.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(property.Name, $"Unknown field. Expected: {string.Join(", ", allowed)}.");
            }
        }
        return root;
    }

    /// <returns>The string, null when absent or JSON null (see <paramref name="present"/>), with an error for any other type.</returns>
    public static string? OptionalString(JsonElement body, string name, RequestErrors errors, out bool present)
    {
        present = body.TryGetProperty(name, out var value);
        if (!present || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(name, "Must be a string.");
            return null;
        }
        return value.GetString();
    }

    public static bool? OptionalBoolean(JsonElement body, string name, RequestErrors errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors.Add(name, "Must be true or false.");
            return null;
        }
        return value.GetBoolean();
    }

    public static string? PhoneNumber(JsonElement body, string name, RequestErrors errors)
    {
        var value = OptionalString(body, name, errors, out _)?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            if (!errors.ContainsKey(name))
            {
                errors.Add(name, "Required: the number in E.164 form, e.g. +14155550123.");
            }
            return null;
        }
        if (!E164().IsMatch(value))
        {
            errors.Add(name, "Must be an E.164 number: + then country code and number, digits only, e.g. +14155550123.");
            return null;
        }
        return value;
    }

    /// <summary>Our label for a number: at most 64 characters (the column's limit, and Twilio's).</summary>
    public static string? FriendlyName(string? value, string name, RequestErrors errors)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }
        if (trimmed.Length > 64)
        {
            errors.Add(name, "At most 64 characters.");
            return null;
        }
        return trimmed;
    }

    /// <summary>Optional header; when sent: 1-255 visible ASCII characters (a UUID is a good choice).</summary>
    public static string? IdempotencyKey(HttpRequest request, RequestErrors errors)
    {
        if (!request.Headers.TryGetValue(IdempotencyKeyHeader, out var values))
        {
            return null;
        }
        var key = values.ToString();
        if (values.Count != 1 || !IdempotencyKeyPattern().IsMatch(key))
        {
            errors.Add(IdempotencyKeyHeader, "Must be one value of 1-255 visible ASCII characters, e.g. a UUID.");
            return null;
        }
        return key;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$")]
    public static partial Regex E164();

    [GeneratedRegex(@"^[\x21-\x7E]{1,255}$")]
    private static partial Regex IdempotencyKeyPattern();
}
