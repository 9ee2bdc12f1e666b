using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>An element of a Voice TwiML document. Only this library defines them.</summary>
public abstract class TwiMLVerb
{
    private protected TwiMLVerb()
    {
    }

    internal abstract void WriteTo(XmlWriter writer);
}
