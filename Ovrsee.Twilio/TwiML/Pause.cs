using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary><c>&lt;Pause&gt;</c>: silence; Twilio waits 1 second when no length is given.</summary>
public sealed class Pause : TwiMLVerb
{
    public int? Length { get; init; }

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Pause");
        writer.WriteOptionalAttribute("length", Length);
        writer.WriteEndElement();
    }
}
