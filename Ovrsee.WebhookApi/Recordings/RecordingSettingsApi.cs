using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Auth;

namespace Ovrsee.WebhookApi.Recordings;

/// <param name="RetentionDays">Days voicemail audio, transcript and summary are kept after the call; null keeps them.</param>
/// <param name="DeleteTwilioCopy">Delete Twilio's copy of each recording as soon as ours is stored.</param>
public sealed record RecordingSettings(int? RetentionDays, bool DeleteTwilioCopy);

/// <summary>A workspace's privacy settings for call recordings: every member reads them, owners and admins change them.</summary>
public static class RecordingSettingsApi
{
    public const int MaxRetentionDays = 3650;

    public static RouteGroupBuilder MapRecordingSettingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/aloha/settings/recordings").WithTags("Settings");
        api.MapGet("/", GetSettings)
            .RequireWorkspace()
            .WithName("GetRecordingSettings")
            .WithSummary("How long the workspace keeps voicemail recordings and transcripts, and whether Twilio's copy is deleted.");
        api.MapPut("/", PutSettings)
            .RequireWorkspace("owner", "admin")
            .Accepts<RecordingSettings>("application/json")
            .ProducesValidationProblem()
            .WithName("PutRecordingSettings")
            .WithSummary("Sets the retention (days, or null to keep) and whether Twilio's copy of each recording is deleted once ours is stored.");
        return api;
    }

    public static async Task<Ok<RecordingSettings>> GetSettings(HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        await using var command = scope.CreateCommand("SELECT recording_retention_days, delete_twilio_recordings FROM workspaces");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return TypedResults.Ok(new RecordingSettings(reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.GetBoolean(1)));
    }

    public static async Task<Results<Ok<RecordingSettings>, ValidationProblem>> PutSettings(
        HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var (settings, errors) = await ReadAsync(context.Request, cancellationToken);
        if (settings is null)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid recording settings.");
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        await using (var command = scope.CreateCommand("UPDATE workspaces SET recording_retention_days = $1, delete_twilio_recordings = $2"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.RetentionDays ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = settings.DeleteTwilioCopy, NpgsqlDbType = NpgsqlDbType.Boolean });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await scope.CommitAsync(cancellationToken);
        return TypedResults.Ok(settings);
    }

    /// <summary>
    /// The body read by hand rather than by parameter binding: binding answers a wrong type with a
    /// 400 that names no field, and a PUT that left out deleteTwilioCopy would silently turn the
    /// deletion off. Both fields are required (retentionDays may be null: keep).
    /// </summary>
    private static async Task<(RecordingSettings? Settings, Dictionary<string, string[]> Errors)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        const string Shape = "Send a JSON object: {\"retentionDays\": <1-3650 or null>, \"deleteTwilioCopy\": <true or false>}.";
        var errors = new Dictionary<string, string[]>();
        JsonElement body;
        try
        {
            using var document = request.HasJsonContentType() ? await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken) : null;
            body = document?.RootElement.Clone() ?? default;
        }
        catch (JsonException)
        {
            body = default;
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = [Shape];
            return (null, errors);
        }

        int? retentionDays = null;
        if (Property(body, "retentionDays") is not { } days)
        {
            errors["retentionDays"] = [$"Required: days between 1 and {MaxRetentionDays}, or null to keep recordings."];
        }
        else if (days.ValueKind == JsonValueKind.Number && days.TryGetInt32(out var value) && value is >= 1 and <= MaxRetentionDays)
        {
            retentionDays = value;
        }
        else if (days.ValueKind != JsonValueKind.Null)
        {
            errors["retentionDays"] = [$"Must be whole days between 1 and {MaxRetentionDays}, or null to keep recordings."];
        }
        var deleteTwilioCopy = false;
        if (Property(body, "deleteTwilioCopy") is { ValueKind: JsonValueKind.True or JsonValueKind.False } delete)
        {
            deleteTwilioCopy = delete.GetBoolean();
        }
        else
        {
            errors["deleteTwilioCopy"] = ["Required: true or false."];
        }
        return errors.Count == 0 ? (new RecordingSettings(retentionDays, deleteTwilioCopy), errors) : (null, errors);
    }

    // Names match case-insensitively, as the API's JSON binding does everywhere else.
    private static JsonElement? Property(JsonElement body, string name) =>
        body.EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault();
}
