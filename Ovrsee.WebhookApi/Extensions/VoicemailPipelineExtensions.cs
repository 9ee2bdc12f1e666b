using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio;
using Ovrsee.Twilio.Rest;
using Ovrsee.WebhookApi.Voicemail;
using Ovrsee.WebhookApi.Jobs;

namespace Ovrsee.WebhookApi.Extensions;

public static class VoicemailPipelineExtensions
{
    /// <summary>
    /// The job runner and the voicemail pipeline on it: fetch the recording, transcribe, summarise.
    /// Expects <c>VoicemailOptions</c> to be bound (AddApplicationServices does) and an NpgsqlDataSource.
    /// </summary>
    public static IHostApplicationBuilder AddVoicemailPipeline(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobsOptions>, JobsOptionsValidator>());
        services.AddOptions<JobsOptions>().Bind(configuration.GetSection(JobsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<JobStore>();
        services.AddHostedService<JobRunner>();

        builder.AddRecordingStorage();
        services.AddTwilioOptions(configuration);
        services.AddHttpClient<TwilioRecordingClient>();
        services.AddTwilioRestClient(configuration);

        services.AddOptions<VoicemailPipelineOptions>().Bind(configuration.GetSection(VoicemailPipelineOptions.SectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AiEndpointOptions>, AiEndpointOptionsValidator>());
        foreach (var name in new[] { AiEndpointOptions.SpeechToText, AiEndpointOptions.Chat })
        {
            services.AddOptions<AiEndpointOptions>(name).Bind(configuration.GetSection(AiEndpointOptions.SectionFor(name))).ValidateOnStart();
        }
        services.AddSingleton<VoicemailAiClients>();
        services.AddSingleton<VoicemailSummarizer>();
        services.AddSingleton<VoicemailStore>();

        // Scoped: the runner resolves handlers in a scope per job.
        services.AddScoped<IJobHandler, FetchRecordingJob>();
        services.AddScoped<IJobHandler, TranscribeVoicemailJob>();
        services.AddScoped<IJobHandler, SummarizeVoicemailJob>();
        services.AddScoped<IJobHandler, DeleteTwilioRecordingJob>();
        services.AddSingleton<VoicemailSmsStore>();
        services.AddScoped<IJobHandler, VoicemailSmsJob>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecordingRetentionOptions>, RecordingRetentionOptionsValidator>());
        services.AddOptions<RecordingRetentionOptions>().Bind(configuration.GetSection(RecordingRetentionOptions.SectionName)).ValidateOnStart();
        services.AddScoped<IJobHandler, RecordingRetentionJob>();
        services.AddHostedService<RecordingRetentionScheduler>();
        return builder;
    }
}
