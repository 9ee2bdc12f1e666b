using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary><c>&lt;Parameter&gt;</c>: a name/value pair passed to a <see cref="MediaStream"/>.</summary>
public sealed class Parameter(string name, string value) : TwiMLVerb
{
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    public string Value { get; } = value ?? throw new ArgumentNullException(nameof(value));

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Parameter");
        writer.WriteOptionalAttribute("name", Name);
        writer.WriteOptionalAttribute("value", Value);
        writer.WriteEndElement();
    }
}
