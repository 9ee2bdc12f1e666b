using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary><c>&lt;Hangup&gt;</c>: ends the call.</summary>
public sealed class Hangup : TwiMLVerb
{
    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Hangup");
        writer.WriteEndElement();
    }
}
