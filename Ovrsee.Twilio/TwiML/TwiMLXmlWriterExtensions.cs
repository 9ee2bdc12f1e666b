using System.Globalization;
using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>Twilio's attribute conventions: omitted when unset, invariant numbers, lower-case booleans.</summary>
internal static class TwiMLXmlWriterExtensions
{
    public static void WriteOptionalAttribute(this XmlWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteAttributeString(name, XmlSafeText.From(value));
        }
    }

    public static void WriteOptionalAttribute(this XmlWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteAttributeString(name, number.ToString(CultureInfo.InvariantCulture));
        }
    }

    public static void WriteOptionalAttribute(this XmlWriter writer, string name, bool? value)
    {
        if (value is { } flag)
        {
            writer.WriteAttributeString(name, flag ? "true" : "false");
        }
    }

    public static void WriteSafeString(this XmlWriter writer, string text) => writer.WriteString(XmlSafeText.From(text));
}
