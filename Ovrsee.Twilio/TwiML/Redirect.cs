using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary><c>&lt;Redirect&gt;</c>: continue the call with the TwiML at another URL.</summary>
public sealed class Redirect(string url) : TwiMLVerb
{
    public string Url { get; } = url ?? throw new ArgumentNullException(nameof(url));

    /// <summary><c>GET</c> or <c>POST</c>; Twilio uses POST when unset.</summary>
    public string? Method { get; init; }

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Redirect");
        writer.WriteOptionalAttribute("method", Method);
        writer.WriteSafeString(Url);
        writer.WriteEndElement();
    }
}
