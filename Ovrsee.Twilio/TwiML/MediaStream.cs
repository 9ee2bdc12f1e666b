using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>
/// The <c>&lt;Stream&gt;</c> noun (named MediaStream here so it never collides with
/// <see cref="System.IO.Stream"/>): streams call audio to a WebSocket.
/// </summary>
public sealed class MediaStream(string url) : TwiMLVerb
{
    private readonly List<Parameter> _parameters = [];

    /// <summary>Absolute <c>wss://</c> URL of the WebSocket server.</summary>
    public string Url { get; } = url ?? throw new ArgumentNullException(nameof(url));

    public string? Name { get; init; }

    public string? StatusCallback { get; init; }

    public string? StatusCallbackMethod { get; init; }

    /// <summary>Custom parameters, delivered in the stream's <c>start</c> message.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    public MediaStream Parameter(string name, string value)
    {
        _parameters.Add(new Parameter(name, value));
        return this;
    }

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Stream");
        writer.WriteOptionalAttribute("url", Url);
        writer.WriteOptionalAttribute("name", Name);
        writer.WriteOptionalAttribute("statusCallback", StatusCallback);
        writer.WriteOptionalAttribute("statusCallbackMethod", StatusCallbackMethod);
        foreach (var parameter in _parameters)
        {
            parameter.WriteTo(writer);
        }

        writer.WriteEndElement();
    }
}
