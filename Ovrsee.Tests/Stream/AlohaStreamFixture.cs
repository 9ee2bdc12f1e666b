using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Streaming;

/// <summary>The real WebhookApi process plus a fake Aloha agent, with the agent on 127.0.0.1 allowed.</summary>
public class AlohaStreamFixture : WebhookApiFixture
{
    public const string Caller = "+14155550100";

    public FakeAlohaAgent Agent { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        // The fake agent is ws://127.0.0.1: allowed here explicitly, not only through Development's defaults.
        ["AlohaStream__AllowInsecureAgentUrls"] = "true",
        ["AlohaStream__AllowPrivateAgentAddresses"] = "true",
        // Generous: a busy machine must not turn a slow connect or insert into the fallback paths
        // (built-in agent, voicemail) that other tests exercise on purpose.
        ["AlohaStream__AgentConnectTimeout"] = "00:00:10",
        ["Webhooks__DatabaseTimeout"] = "00:00:09",
        ["Webhooks__SpoolTimeout"] = "00:00:01",
        ["AlohaStream__ExposeDiagnostics"] = "true",
        // A workspace that chose the built-in agent: its no-key hand-over comes soon (only those use it).
        ["AlohaStream__BuiltInListenTimeout"] = "00:00:02",
        // A hundred calls and their upgrades from one address in a second.
        ["RateLimiting__Webhooks__PermitsPerSecond"] = "10000",
        ["RateLimiting__Webhooks__Burst"] = "10000",
    };

    public override async Task InitializeAsync()
    {
        Agent = await FakeAlohaAgent.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Agent.DisposeAsync();
    }

    /// <summary>A workspace with this agent URL and a number in it.</summary>
    public async Task<(Guid Workspace, string Number)> NumberAsync(string? agentUrl)
    {
        var workspace = await Seed.WorkspaceAsync(Admin, agentStreamUrl: agentUrl);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(Admin, workspace, number);
        return (workspace, number);
    }

    /// <summary>Rings the number through the incoming-call webhook and returns what the TwiML tells Twilio to do.</summary>
    public async Task<StreamCall> RingAsync(string number)
    {
        var callSid = Seed.NewCallSid();
        var response = await Twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, Caller, number));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var connect = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Connect")!;
        var stream = connect.Element("Stream")!;
        return new StreamCall(
            callSid,
            number,
            stream.Attribute("url")!.Value,
            stream.Elements("Parameter").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value),
            connect.Attribute("action")!.Value);
    }

    /// <summary>Twilio's request for the Connect action after the stream ended: the TwiML it gets.</summary>
    public async Task<XDocument> ConnectActionAsync(StreamCall call)
    {
        var response = await Twilio.PostAsync(new Uri(call.ConnectAction).PathAndQuery, TwilioForms.IncomingCall(call.CallSid, Caller, call.Number));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The call's timeline once the stream's last event is written (writes are asynchronous).</summary>
    public async Task<List<(string Kind, JsonElement Payload)>> TimelineAfterStreamAsync(string callSid, string lastKind = "stream-stopped")
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await Seed.ScalarAsync<long>(Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1 AND kind = $2", callSid, lastKind) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"No {lastKind} event for {callSid}");
            await Task.Delay(50);
        }
        return await TimelineAsync(callSid);
    }

    public async Task<List<(string Kind, JsonElement Payload)>> TimelineAsync(string callSid)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT kind, payload::text FROM call_events WHERE call_sid = $1 ORDER BY occurred_at, id", connection)
        {
            Parameters = { new() { Value = callSid } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<(string, JsonElement)>();
        while (await reader.ReadAsync())
        {
            events.Add((reader.GetString(0), JsonDocument.Parse(reader.GetString(1)).RootElement.Clone()));
        }
        return events;
    }

    public async Task<JsonElement> DiagnosticsAsync(bool collect = false) =>
        await Twilio.Http.GetFromJsonAsync<JsonElement>($"/api/aloha/stream-diagnostics?collect={collect.ToString().ToLowerInvariant()}");
}

/// <summary>An incoming call as our TwiML answered it.</summary>
public sealed record StreamCall(string CallSid, string Number, string StreamUrl, Dictionary<string, string> Parameters, string ConnectAction);
