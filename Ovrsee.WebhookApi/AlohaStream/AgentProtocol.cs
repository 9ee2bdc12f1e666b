using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ovrsee.WebhookApi.AlohaStream;

// The JSON protocol between us and an external Aloha agent (documented in
// Ovrsee.WebhookApi/README.md, "Aloha stream"). One JSON object per WebSocket text message, its
// kind in "type". Audio is base64 G.711 μ-law, 8 kHz, mono, both ways: the agent gets exactly
// what Twilio sends and sends exactly what Twilio plays, so we never transcode.

/// <summary>A message from the agent; unknown types are ignored so the protocol can grow.</summary>
public sealed class AgentInbound
{
    public const string Audio = "audio";
    public const string Mark = "mark";
    public const string Clear = "clear";
    public const string Handled = "handled";
    public const string Hangup = "hangup";
    public const string Voicemail = "voicemail";
    /// <summary>Hand the caller to a person (the number's forward targets, else voicemail); ends the agent's part.</summary>
    public const string Transfer = "transfer";

    public string? Type { get; set; }
    public string? Payload { get; set; }
    public string? Name { get; set; }

    public static AgentInbound? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, AgentProtocolJson.Default.AgentInbound);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AgentInbound))]
internal sealed partial class AgentProtocolJson : JsonSerializerContext;

/// <summary>Messages we send to the agent.</summary>
public static class AgentOutbound
{
    public const string ProtocolName = "ovrsee-aloha-stream";
    public const int ProtocolVersion = 1;

    public static void WriteStart(IBufferWriter<byte> buffer, AgentCall call)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("type", "start");
        json.WriteString("protocol", ProtocolName);
        json.WriteNumber("version", ProtocolVersion);
        json.WriteString("callSid", call.CallSid);
        json.WriteString("streamSid", call.StreamSid);
        json.WriteString("accountSid", call.AccountSid);
        json.WriteString("callLogId", call.CallLogId);
        json.WriteString("workspaceId", call.WorkspaceId);
        json.WriteString("from", call.From);
        json.WriteString("to", call.To);
        json.WriteStartObject("mediaFormat");
        json.WriteString("encoding", "audio/x-mulaw");
        json.WriteNumber("sampleRate", 8000);
        json.WriteNumber("channels", 1);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static void WriteAudio(IBufferWriter<byte> buffer, CallerAudioFrame frame)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("type", "audio");
        json.WriteNumber("chunk", frame.Chunk);
        json.WriteNumber("timestamp", frame.TimestampMs);
        json.WriteBase64String("payload", frame.MuLaw);
        json.WriteEndObject();
    }

    public static void WriteSignal(IBufferWriter<byte> buffer, CallerSignal signal)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        switch (signal)
        {
            case CallerSignal.Dtmf dtmf:
                json.WriteString("type", "dtmf");
                json.WriteString("digit", dtmf.Digit);
                break;
            case CallerSignal.MarkPlayed mark:
                json.WriteString("type", "mark");
                json.WriteString("name", mark.Name);
                break;
        }
        json.WriteEndObject();
    }

    public static void WriteStop(IBufferWriter<byte> buffer, string reason)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("type", "stop");
        json.WriteString("reason", reason);
        json.WriteEndObject();
    }
}
