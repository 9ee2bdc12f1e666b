using System.Text;
using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>
/// Say text often comes from a language model and may carry control characters XML 1.0
/// cannot represent. Dropping them beats throwing mid-call, which Twilio would read to the
/// caller as "an application error has occurred".
/// </summary>
internal static class XmlSafeText
{
    public static string From(string value)
    {
        var firstInvalid = FirstInvalid(value, 0);
        if (firstInvalid < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        var start = 0;
        while (firstInvalid >= 0)
        {
            builder.Append(value, start, firstInvalid - start);
            start = firstInvalid + 1;
            firstInvalid = FirstInvalid(value, start);
        }

        return builder.Append(value, start, value.Length - start).ToString();
    }

    private static int FirstInvalid(string value, int from)
    {
        for (var i = from; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (!XmlConvert.IsXmlChar(c))
            {
                return i;
            }
        }

        return -1;
    }
}
