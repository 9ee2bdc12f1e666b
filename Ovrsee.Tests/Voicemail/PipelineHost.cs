using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Ovrsee.Data;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Extensions;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Voicemail;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Tests.Voicemail;

/// <summary>
/// The WebhookApi's job runner and voicemail pipeline, wired by the same AddVoicemailPipeline,
/// running in the test process against a test database: one instance is one replica's runner.
/// Without the service defaults, HttpClients have no resilience handler, so every failure the
/// doubles produce reaches the job runner's own retries.
/// </summary>
public sealed class PipelineHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private PipelineHost(IHost host, string recordingsDirectory)
    {
        _host = host;
        RecordingsDirectory = recordingsDirectory;
    }

    public string RecordingsDirectory { get; }

    public string RunnerId => _host.Services.GetServices<IHostedService>().OfType<JobRunner>().Single().RunnerId;

    public IServiceProvider Services => _host.Services;

    /// <summary>Settings every test runner shares; a test overrides or adds to them.</summary>
    public static Dictionary<string, string?> Settings(TestDatabase database, string? recordingsDirectory = null) =>
        Settings(database.ServiceConnectionString, recordingsDirectory);

    public static Dictionary<string, string?> Settings(string connectionString, string? recordingsDirectory = null) => new()
    {
        ["ConnectionStrings:ovrsee"] = connectionString,
        ["Twilio:AccountSid"] = TestServiceEnvironment.AccountSid,
        ["Twilio:AuthToken"] = TestServiceEnvironment.AuthToken,
        ["Jobs:PollInterval"] = "00:00:00.050",
        ["Jobs:RetryBaseDelay"] = "00:00:00.050",
        ["Jobs:RetryMaxDelay"] = "00:00:00.200",
        ["Recordings:Directory"] = recordingsDirectory ?? TestPostgres.NewRootDirectory("recordings"),
        ["Recordings:AllowedHosts:0"] = "127.0.0.1",
        ["Voicemail:Transcription"] = "None",
    };

    public static Dictionary<string, string?> WithAI(Dictionary<string, string?> settings, OpenAIDouble ai)
    {
        settings["AI:SpeechToText:Endpoint"] = ai.Endpoint;
        settings["AI:SpeechToText:Model"] = "whisper-test";
        settings["AI:SpeechToText:ApiKey"] = "test-openai-key-not-real";
        settings["AI:Chat:Endpoint"] = ai.Endpoint;
        settings["AI:Chat:Model"] = "chat-test";
        settings["AI:Chat:ApiKey"] = "test-openai-key-not-real";
        return settings;
    }

    public static async Task<PipelineHost> StartAsync(IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName);
        builder.Services.Configure<VoicemailOptions>(builder.Configuration.GetSection("Voicemail"));
        builder.AddVoicemailPipeline();
        var host = builder.Build();
        await host.StartAsync();
        return new PipelineHost(host, builder.Configuration["Recordings:Directory"]!);
    }

    /// <summary>A graceful stop, as on a deploy or scale-in.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}

/// <summary>Voicemails as the webhooks store them, written through the real CallbackRecorder.</summary>
public static class VoicemailSeed
{
    public sealed record Recorded(Guid Id, Guid WorkspaceId, string CallSid, string RecordingSid, string From);

    public const string From = "+14155550100";

    // One pool per database: a new data source per call would log in (SCRAM) every time.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NpgsqlDataSource> DataSources = new();

    private static CallbackRecorder RecorderFor(TestDatabase database) =>
        new(DataSources.GetOrAdd(database.ServiceConnectionString, NpgsqlDataSource.Create));

    public static async Task<Recorded> RecordedAsync(TestDatabase database, Func<string, string> recordingUrl) =>
        (await RecordedAsync(database, recordingUrl, count: 1)).Single();

    /// <summary>Several calls to one workspace's number, each leaving a voicemail (one admin login, not one per call).</summary>
    public static async Task<IReadOnlyList<Recorded>> RecordedAsync(TestDatabase database, Func<string, string> recordingUrl, int count)
    {
        var recorder = RecorderFor(database);
        var workspace = await Seed.WorkspaceAsync(database.AdminConnectionString);
        var to = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(database.AdminConnectionString, workspace, to);
        var calls = new List<(string CallSid, string RecordingSid)>();
        for (var i = 0; i < count; i++)
        {
            var callSid = Seed.NewCallSid();
            var recordingSid = TwilioForms.NewRecordingSid();
            await recorder.RecordAsync(new TwilioCallback(CallbackKind.IncomingCall, TwilioForms.IncomingCall(callSid, From, to), DateTimeOffset.UtcNow), default);
            var form = TwilioForms.Recording(callSid, recordingSid);
            form["RecordingUrl"] = recordingUrl(recordingSid);
            await recorder.RecordAsync(new TwilioCallback(CallbackKind.VoicemailRecorded, form, DateTimeOffset.UtcNow), default);
            calls.Add((callSid, recordingSid));
        }

        await using var connection = new NpgsqlConnection(database.AdminConnectionString);
        await connection.OpenAsync();
        var recorded = new List<Recorded>();
        foreach (var (callSid, recordingSid) in calls)
        {
            await using var command = new NpgsqlCommand("SELECT id FROM voicemail_messages WHERE recording_sid = $1", connection) { Parameters = { new() { Value = recordingSid } } };
            recorded.Add(new Recorded((Guid)(await command.ExecuteScalarAsync())!, workspace, callSid, recordingSid, From));
        }
        return recorded;
    }

    public static async Task RecordedAgainAsync(TestDatabase database, Recorded voicemail, string recordingUrl)
    {
        var form = TwilioForms.Recording(voicemail.CallSid, voicemail.RecordingSid);
        form["RecordingUrl"] = recordingUrl;
        await RecorderFor(database).RecordAsync(new TwilioCallback(CallbackKind.VoicemailRecorded, form, DateTimeOffset.UtcNow), default);
    }

    public static async Task TranscribedByTwilioAsync(TestDatabase database, Recorded voicemail, string text)
    {
        await RecorderFor(database).RecordAsync(
            new TwilioCallback(CallbackKind.VoicemailTranscribed, TwilioForms.Transcription(voicemail.CallSid, voicemail.RecordingSid, text), DateTimeOffset.UtcNow), default);
    }
}

public static class Eventually
{
    /// <summary>Polls until the condition holds; false if it never did within the (generous) limit.</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return await condition();
    }
}

/// <summary>What a test asserts on: the stored rows.</summary>
public static class Stored
{
    public static Task<string?> JobStateAsync(TestDatabase database, string kind, Guid voicemailId) =>
        Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT state FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2", kind, voicemailId.ToString());

    public static Task<int> JobAttemptsAsync(TestDatabase database, string kind, Guid voicemailId) =>
        Seed.ScalarAsync<int>(database.AdminConnectionString, "SELECT attempts FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2", kind, voicemailId.ToString());

    public static Task<string?> JobErrorAsync(TestDatabase database, string kind, Guid voicemailId) =>
        Seed.ScalarAsync<string>(database.AdminConnectionString, "SELECT last_error FROM jobs WHERE kind = $1 AND payload->>'voicemailId' = $2", kind, voicemailId.ToString());

    public static Task<string?> VoicemailAsync(TestDatabase database, string column, Guid voicemailId) =>
        Seed.ScalarAsync<string>(database.AdminConnectionString, $"SELECT {column}::text FROM voicemail_messages WHERE id = $1", voicemailId);

    /// <summary>Every job, for a failing assertion's message.</summary>
    public static async Task<string> JobsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT kind, state, attempts, coalesce(last_error, '') FROM jobs ORDER BY created_at", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add($"{reader.GetString(0)} {reader.GetString(1)} attempts={reader.GetInt32(2)} {reader.GetString(3)}");
        }
        return "jobs:\n" + string.Join("\n", lines);
    }

    public static Task<long> EventsAsync(TestDatabase database, string callSid, string kind) =>
        Seed.ScalarAsync<long>(database.AdminConnectionString, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = $2", callSid, kind);
}
