using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary><c>&lt;Say&gt;</c>: text-to-speech.</summary>
public sealed class Say(string text) : TwiMLVerb
{
    public string Text { get; } = text ?? throw new ArgumentNullException(nameof(text));

    /// <summary>e.g. <c>Polly.Joanna</c>, <c>Google.en-US-Neural2-F</c>; Twilio's default when null.</summary>
    public string? Voice { get; init; }

    /// <summary>BCP-47 tag such as <c>en-US</c>; Twilio's default when null.</summary>
    public string? Language { get; init; }

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Say");
        writer.WriteOptionalAttribute("voice", Voice);
        writer.WriteOptionalAttribute("language", Language);
        writer.WriteSafeString(Text);
        writer.WriteEndElement();
    }
}
