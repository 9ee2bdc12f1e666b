using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Auth;

namespace Ovrsee.WebhookApi.Apis;

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
        RecordingSettings settings, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (settings.RetentionDays is < 1 or > MaxRetentionDays)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["retentionDays"] = [$"Must be between 1 and {MaxRetentionDays} days, or null to keep recordings."] },
                title: "Invalid recording settings.");
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
}
