using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>
/// <c>&lt;Connect&gt;</c>: hands the call to a bidirectional <see cref="MediaStream"/>. The call
/// stays connected until the stream ends, then Twilio requests <see cref="Action"/> if set.
/// </summary>
public sealed class Connect : TwiMLVerb
{
    private readonly List<MediaStream> _streams = [];

    public string? Action { get; init; }

    public string? Method { get; init; }

    public IReadOnlyList<MediaStream> Streams => _streams;

    public Connect Stream(MediaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _streams.Add(stream);
        return this;
    }

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Connect");
        writer.WriteOptionalAttribute("action", Action);
        writer.WriteOptionalAttribute("method", Method);
        foreach (var stream in _streams)
        {
            stream.WriteTo(writer);
        }

        writer.WriteEndElement();
    }
}
