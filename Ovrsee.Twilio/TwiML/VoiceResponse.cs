using System.Text;
using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>
/// A Voice TwiML <c>&lt;Response&gt;</c> built fluently:
/// <code>new VoiceResponse().Say("Hello").Connect(new Connect().Stream(new MediaStream("wss://…")))</code>
/// </summary>
public sealed class VoiceResponse
{
    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        // Written by hand below: XmlWriter would spell the encoding "utf-8", Twilio's documents say "UTF-8",
        // and with its own declaration off it silently drops an "xml" processing instruction.
        OmitXmlDeclaration = true,
        Indent = false,
    };

    private static ReadOnlySpan<byte> Declaration => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"u8;

    private readonly List<TwiMLVerb> _verbs = [];

    public IReadOnlyList<TwiMLVerb> Verbs => _verbs;

    public VoiceResponse Append(TwiMLVerb verb)
    {
        ArgumentNullException.ThrowIfNull(verb);
        _verbs.Add(verb);
        return this;
    }

    public VoiceResponse Say(string text, string? voice = null, string? language = null) =>
        Append(new Say(text) { Voice = voice, Language = language });

    public VoiceResponse Pause(int? length = null) => Append(new Pause { Length = length });

    public VoiceResponse Record(Record record) => Append(record);

    public VoiceResponse Redirect(string url, string? method = null) => Append(new Redirect(url) { Method = method });

    public VoiceResponse Hangup() => Append(new Hangup());

    public VoiceResponse Connect(Connect connect) => Append(connect);

    /// <summary>The document as UTF-8 bytes (no BOM), with an XML declaration.</summary>
    public byte[] ToUtf8Bytes()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Declaration);
        using (var writer = XmlWriter.Create(buffer, Settings))
        {
            writer.WriteStartElement("Response");
            foreach (var verb in _verbs)
            {
                verb.WriteTo(writer);
            }

            writer.WriteEndElement();
        }

        return buffer.ToArray();
    }

    public string ToXml() => Encoding.UTF8.GetString(ToUtf8Bytes());

    public override string ToString() => ToXml();
}
