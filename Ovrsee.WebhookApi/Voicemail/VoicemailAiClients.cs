using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Ovrsee.WebhookApi.Voicemail;

// ISpeechToTextClient is marked experimental (MEAI001) in Microsoft.Extensions.AI 10.11. It is
// the provider-neutral abstraction we want; only this file and the transcription job touch it,
// so a breaking change there stays a two-file fix.
#pragma warning disable MEAI001

/// <summary>
/// The model clients the pipeline uses, built once from <see cref="AiEndpointOptions"/>; a null
/// client means that endpoint is not configured.
/// </summary>
public sealed class VoicemailAiClients : IDisposable
{
    public VoicemailAiClients(IOptionsMonitor<AiEndpointOptions> options, ILoggerFactory loggerFactory)
    {
        var speech = options.Get(AiEndpointOptions.SpeechToText);
        if (speech.IsConfigured)
        {
            SpeechToTextModel = speech.Model;
            SpeechToText = OpenAIClientFor(speech).GetAudioClient(speech.Model).AsISpeechToTextClient();
        }

        var chat = options.Get(AiEndpointOptions.Chat);
        if (chat.IsConfigured)
        {
            ChatModel = chat.Model;
            Chat = OpenAIClientFor(chat).GetChatClient(chat.Model).AsIChatClient()
                .AsBuilder()
                .UseOpenTelemetry(loggerFactory, sourceName: "Ovrsee.AI")
                .Build();
        }
    }

    public ISpeechToTextClient? SpeechToText { get; }
    public string? SpeechToTextModel { get; }
    public IChatClient? Chat { get; }
    public string? ChatModel { get; }

    private static OpenAIClient OpenAIClientFor(AiEndpointOptions options) => new(
        // The SDK insists on a key; local servers ignore whatever is sent.
        new ApiKeyCredential(string.IsNullOrWhiteSpace(options.ApiKey) ? "none" : options.ApiKey),
        new OpenAIClientOptions
        {
            Endpoint = new Uri(string.IsNullOrWhiteSpace(options.Endpoint) ? AiEndpointOptions.OpenAIEndpoint : options.Endpoint),
            NetworkTimeout = options.Timeout,
        });

    public void Dispose()
    {
        SpeechToText?.Dispose();
        Chat?.Dispose();
    }
}
