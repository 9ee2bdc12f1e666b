using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Extensions;

public static class RecordingStorageExtensions
{
    /// <summary>
    /// <see cref="IRecordingStorage"/> as configured: Azure Blob Storage when
    /// <c>ConnectionStrings:recordings</c> is set (or <c>Recordings:Storage=AzureBlob</c>), else the
    /// local folder. Validated at start-up; the choice is logged once when the storage is first used.
    /// </summary>
    public static IHostApplicationBuilder AddRecordingStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecordingsOptions>, RecordingsOptionsValidator>());
        services.AddOptions<RecordingsOptions>().Bind(configuration.GetSection(RecordingsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IRecordingStorage>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<RecordingsOptions>>();
            IRecordingStorage storage = options.Value.EffectiveStorage(configuration) switch
            {
                RecordingStorageKind.AzureBlob => new BlobRecordingStorage(
                    BlobRecordingStorage.CreateServiceClient(
                        configuration.GetConnectionString(RecordingsOptions.BlobConnectionName)!,
                        // The app's user-assigned identity (infra sets it); empty means a developer's own sign-in.
                        configuration["AZURE_CLIENT_ID"])
                    .GetBlobContainerClient(options.Value.Blob.Container),
                    options),
                _ => new LocalFileRecordingStorage(options),
            };
            provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IRecordingStorage))
                .LogInformation("Voicemail recordings are stored in {RecordingStorage}", storage.Description);
            return storage;
        });
        return builder;
    }
}
