using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace Ovrsee.Twilio.AspNetCore;

/// <summary>
/// Writes TwiML built with the SDK (<c>Twilio.TwiML.VoiceResponse</c>) as the HTTP response, as
/// Twilio.AspNet.Core's <c>TwiMLResult</c> does: 200, <c>text/xml; charset=utf-8</c>, unindented.
/// From a minimal API handler: <c>return Results.Extensions.TwiML(new VoiceResponse().Say("Hi"));</c>
/// </summary>
/// <remarks>
/// One thing the SDK gets wrong for us: text with characters XML 1.0 cannot carry (control
/// characters from a language model's reply, say) makes its serializer throw, which Twilio would
/// read to the caller as "an application error has occurred". Those characters are dropped instead.
/// </remarks>
public sealed class TwiMLResult(global::Twilio.TwiML.TwiML twiml) : IResult, IContentTypeHttpResult, IStatusCodeHttpResult
{
    public const string MediaType = "text/xml; charset=utf-8";

    public global::Twilio.TwiML.TwiML TwiML { get; } = twiml ?? throw new ArgumentNullException(nameof(twiml));

    public string ContentType => MediaType;

    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        var body = Encoding.UTF8.GetBytes(ToXml(TwiML));
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    /// <summary>The document as sent: the SDK's XML without indentation, never an exception for bad characters.</summary>
    public static string ToXml(global::Twilio.TwiML.TwiML twiml)
    {
        ArgumentNullException.ThrowIfNull(twiml);
        try
        {
            return twiml.ToString(SaveOptions.DisableFormatting);
        }
        catch (ArgumentException)
        {
            var document = twiml.ToXDocument();
            foreach (var text in document.DescendantNodes().OfType<XText>())
            {
                text.Value = XmlSafe(text.Value);
            }
            foreach (var attribute in document.Descendants().Attributes())
            {
                attribute.Value = XmlSafe(attribute.Value);
            }
            return document.Declaration + document.ToString(SaveOptions.DisableFormatting);
        }
    }

    private static string XmlSafe(string value)
    {
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(value, i++, 2);
            }
            else if (XmlConvert.IsXmlChar(value[i]))
            {
                builder.Append(value[i]);
            }
        }
        return builder.ToString();
    }
}

public static class TwiMLResultExtensions
{
    /// <summary><c>Results.Extensions.TwiML(twiml)</c>, as in Twilio.AspNet.Core's minimal API support.</summary>
    public static TwiMLResult TwiML(this IResultExtensions results, global::Twilio.TwiML.TwiML twiml)
    {
        ArgumentNullException.ThrowIfNull(results);
        return new TwiMLResult(twiml);
    }
}
