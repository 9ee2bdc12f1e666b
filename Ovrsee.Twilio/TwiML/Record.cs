using System.Xml;

namespace Ovrsee.Twilio.TwiML;

/// <summary>
/// <c>&lt;Record&gt;</c>: records the caller. Every attribute is optional; unset ones are omitted
/// so Twilio's defaults apply (method POST, timeout 5, finishOnKey "1234567890*#",
/// maxLength 3600, playBeep true, transcribe false).
/// </summary>
public sealed class Record : TwiMLVerb
{
    /// <summary>URL Twilio requests when recording ends; its TwiML continues the call.</summary>
    public string? Action { get; init; }

    /// <summary>HTTP method for <see cref="Action"/>: <c>GET</c> or <c>POST</c>.</summary>
    public string? Method { get; init; }

    /// <summary>Seconds of silence that end the recording.</summary>
    public int? Timeout { get; init; }

    /// <summary>Keys that end the recording, e.g. <c>#</c>.</summary>
    public string? FinishOnKey { get; init; }

    /// <summary>Maximum recording length in seconds.</summary>
    public int? MaxLength { get; init; }

    public bool? PlayBeep { get; init; }

    public string? RecordingStatusCallback { get; init; }

    public string? RecordingStatusCallbackMethod { get; init; }

    /// <summary>Space-separated events, e.g. <c>in-progress completed absent</c>.</summary>
    public string? RecordingStatusCallbackEvent { get; init; }

    public bool? Transcribe { get; init; }

    public string? TranscribeCallback { get; init; }

    internal override void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement("Record");
        writer.WriteOptionalAttribute("action", Action);
        writer.WriteOptionalAttribute("method", Method);
        writer.WriteOptionalAttribute("timeout", Timeout);
        writer.WriteOptionalAttribute("finishOnKey", FinishOnKey);
        writer.WriteOptionalAttribute("maxLength", MaxLength);
        writer.WriteOptionalAttribute("playBeep", PlayBeep);
        writer.WriteOptionalAttribute("recordingStatusCallback", RecordingStatusCallback);
        writer.WriteOptionalAttribute("recordingStatusCallbackMethod", RecordingStatusCallbackMethod);
        writer.WriteOptionalAttribute("recordingStatusCallbackEvent", RecordingStatusCallbackEvent);
        writer.WriteOptionalAttribute("transcribe", Transcribe);
        writer.WriteOptionalAttribute("transcribeCallback", TranscribeCallback);
        writer.WriteEndElement();
    }
}
