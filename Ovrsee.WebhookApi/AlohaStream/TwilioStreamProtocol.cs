using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ovrsee.WebhookApi.AlohaStream;

// Twilio's bidirectional Media Streams messages
// (https://www.twilio.com/docs/voice/media-streams/websocket-messages). Twilio sends JSON text
// frames: connected, start, media, dtmf, mark, stop. Numbers such as sequenceNumber, chunk and
// timestamp arrive as strings; sampleRate and channels as numbers.

/// <summary>One message from Twilio; only the member named by <see cref="Event"/> is set.</summary>
public sealed class TwilioInbound
{
    public string? Event { get; set; }
    public string? SequenceNumber { get; set; }
    public string? StreamSid { get; set; }
    public string? Protocol { get; set; }
    public string? Version { get; set; }
    public TwilioStart? Start { get; set; }
    public TwilioMedia? Media { get; set; }
    public TwilioDtmf? Dtmf { get; set; }
    public TwilioMark? Mark { get; set; }
    public TwilioStop? Stop { get; set; }

    public static TwilioInbound? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, TwilioStreamJson.Default.TwilioInbound);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public sealed class TwilioStart
{
    public string? StreamSid { get; set; }
    public string? AccountSid { get; set; }
    public string? CallSid { get; set; }
    public string[]? Tracks { get; set; }
    public Dictionary<string, string>? CustomParameters { get; set; }
    public TwilioMediaFormat? MediaFormat { get; set; }
}

public sealed class TwilioMediaFormat
{
    public string? Encoding { get; set; }
    public int SampleRate { get; set; }
    public int Channels { get; set; }

    /// <summary>What a bidirectional stream carries and what agents are promised: G.711 μ-law, 8 kHz, mono.</summary>
    [JsonIgnore]
    public bool IsMuLaw8kMono =>
        string.Equals(Encoding, "audio/x-mulaw", StringComparison.OrdinalIgnoreCase) && SampleRate == 8000 && Channels == 1;
}

public sealed class TwilioMedia
{
    public string? Track { get; set; }
    public string? Chunk { get; set; }
    public string? Timestamp { get; set; }
    public string? Payload { get; set; }
}

public sealed class TwilioDtmf
{
    public string? Track { get; set; }
    public string? Digit { get; set; }
}

public sealed class TwilioMark
{
    public string? Name { get; set; }
}

public sealed class TwilioStop
{
    public string? AccountSid { get; set; }
    public string? CallSid { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TwilioInbound))]
internal sealed partial class TwilioStreamJson : JsonSerializerContext;

/// <summary>
/// The messages we send to Twilio on a bidirectional stream: media (base64 μ-law 8 kHz, with the
/// streamSid), mark and clear. Written straight into a reusable buffer: at 50 frames a second per
/// call, these are the hot path.
/// </summary>
public static class TwilioOutbound
{
    public static void WriteMedia(IBufferWriter<byte> buffer, string streamSid, ReadOnlySpan<byte> muLaw)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("event", "media");
        json.WriteString("streamSid", streamSid);
        json.WriteStartObject("media");
        json.WriteBase64String("payload", muLaw);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static void WriteMark(IBufferWriter<byte> buffer, string streamSid, string name)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("event", "mark");
        json.WriteString("streamSid", streamSid);
        json.WriteStartObject("mark");
        json.WriteString("name", name);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static void WriteClear(IBufferWriter<byte> buffer, string streamSid)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("event", "clear");
        json.WriteString("streamSid", streamSid);
        json.WriteEndObject();
    }
}
