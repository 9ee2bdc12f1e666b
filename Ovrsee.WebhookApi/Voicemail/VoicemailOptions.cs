namespace Ovrsee.WebhookApi.Voicemail;

public enum VoicemailTranscription
{
    /// <summary>Record with transcribe="true"; Twilio posts the text to voicemail-transcribed.</summary>
    Twilio,
    /// <summary>Our own speech-to-text job after the recording is downloaded.</summary>
    SpeechToText,
    None,
}

/// <summary>What a caller hears around voicemail and how the message is transcribed (the <c>Voicemail</c> section).</summary>
public sealed class VoicemailOptions
{
    public string Greeting { get; set; } = "Sorry, no one can take your call right now. Please leave a message after the tone.";
    public string Goodbye { get; set; } = "Thank you. Goodbye.";
    public string NotInService { get; set; } = "The number you have dialed is not in service. Goodbye.";
    public string Unavailable { get; set; } = "Sorry, no one can take your call right now. Please try again later. Goodbye.";
    public int MaxLengthSeconds { get; set; } = 120;
    public VoicemailTranscription Transcription { get; set; } = VoicemailTranscription.Twilio;
}
