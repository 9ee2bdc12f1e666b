using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// An OpenAI-compatible endpoint: <c>AI:SpeechToText</c> and <c>AI:Chat</c> (named options).
/// OpenAI needs only Model and ApiKey; Azure OpenAI takes its v1 endpoint
/// (https://&lt;resource&gt;.openai.azure.com/openai/v1/) with the deployment name as Model; a local
/// server (Ollama, vLLM, llama.cpp, whisper.cpp) takes its /v1 base URL and no key.
/// </summary>
public sealed class AiEndpointOptions
{
    public const string SpeechToText = "SpeechToText";
    public const string Chat = "Chat";
    public const string OpenAIEndpoint = "https://api.openai.com/v1";

    public static string SectionFor(string name) => $"AI:{name}";

    /// <summary>Base URL ending in /v1 (the client appends /audio/transcriptions or /chat/completions).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Unset means not configured: no transcription job can run, and summaries are extractive.</summary>
    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Per HTTP request; the job's own timeout (Jobs:JobTimeout) bounds the whole attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Model);

    public override string ToString() =>
        $"AiEndpointOptions {{ Endpoint = {Endpoint ?? "(default)"}, Model = {Model ?? "(unset)"}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(unset)" : "***")} }}";
}

public sealed class AiEndpointOptionsValidator(IOptions<VoicemailOptions> voicemail) : IValidateOptions<AiEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, AiEndpointOptions options)
    {
        if (name is not (AiEndpointOptions.SpeechToText or AiEndpointOptions.Chat))
        {
            return ValidateOptionsResult.Skip;
        }
        var section = AiEndpointOptions.SectionFor(name);
        var failures = new List<string>();
        if (name == AiEndpointOptions.SpeechToText && !options.IsConfigured
            && voicemail.Value.Transcription == VoicemailTranscription.SpeechToText)
        {
            failures.Add($"Voicemail:Transcription is SpeechToText, so {section}:Model must be set.");
        }
        if (options.IsConfigured)
        {
            if (!string.IsNullOrWhiteSpace(options.Endpoint)
                && (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)))
            {
                failures.Add($"{section}:Endpoint must be an absolute http(s) URL.");
            }
            if (string.IsNullOrWhiteSpace(options.Endpoint) && string.IsNullOrWhiteSpace(options.ApiKey))
            {
                failures.Add($"{section}:ApiKey is required for OpenAI (or set {section}:Endpoint to a server that needs none).");
            }
        }
        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{section}:Timeout must be more than zero.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
