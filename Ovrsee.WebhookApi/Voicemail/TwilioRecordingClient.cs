using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Ovrsee.Twilio;
using Ovrsee.WebhookApi.Jobs;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.WebhookApi.Voicemail;

/// <summary>
/// Twilio's answer with its body not yet read: the audio streams from Twilio into storage, so a
/// recording never sits whole in memory. Disposing it closes the connection.
/// </summary>
public sealed class DownloadedRecording(HttpResponseMessage response, Stream audio) : IAsyncDisposable
{
    public string ContentType { get; } = response.Content.Headers.ContentType?.MediaType ?? "audio/wav";

    public Stream Audio { get; } = audio;

    public async ValueTask DisposeAsync()
    {
        await Audio.DisposeAsync();
        response.Dispose();
    }
}

/// <summary>
/// Downloads recording audio from the RecordingUrl Twilio sent us, authenticated with the
/// account's credentials. The URL arrives in a webhook, so before any credentials go out its
/// host is checked against api.twilio.com and Recordings:AllowedHosts. Typed HttpClient: the
/// service defaults add the standard resilience handler (retries, timeouts, circuit breaker).
/// </summary>
/// <remarks>
/// In Development only, a loopback URL outside those hosts is fetched too, but without
/// credentials: that is Ovrsee.Simulator serving the recording it announced, as Twilio does for
/// accounts without HTTP authentication on media.
/// </remarks>
public sealed class TwilioRecordingClient(
    HttpClient http, IOptionsMonitor<TwilioOptions> twilio, IOptionsMonitor<RecordingsOptions> recordings, IHostEnvironment environment)
{
    public async Task<DownloadedRecording> DownloadAsync(string recordingUrl, CancellationToken cancellationToken)
    {
        var uri = MediaUri(recordingUrl);
        var withCredentials = IsAllowed(uri, recordings.CurrentValue);
        if (!withCredentials && !IsLocalSimulator(uri, environment))
        {
            throw new PermanentJobException(
                $"Refusing to fetch {uri.Scheme}://{uri.Authority}: recordings are fetched with Twilio credentials only from https://{RecordingsOptions.TwilioApiHost} " +
                "or a host in Recordings:AllowedHosts (https unless loopback).");
        }

        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        // The handler drops this header if Twilio redirects (to its media CDN), so it never
        // leaves the allowed host.
        if (withCredentials)
        {
            request.Headers.Authorization = BasicCredentials(twilio.CurrentValue);
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("audio/wav"));

        // Headers only: the body is streamed by the caller. The job's own timeout (Jobs:JobTimeout)
        // bounds the body, which the client's per-request timeouts no longer cover.
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        request.Dispose();
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            var message = $"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.";
            // 4xx other than timeouts and throttling will not change on retry (a deleted recording,
            // wrong credentials): dead at once, with the reason kept in jobs.last_error.
            if ((int)response.StatusCode is >= 400 and < 500
                && response.StatusCode is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                throw new PermanentJobException(message);
            }
            throw new HttpRequestException(message, null, response.StatusCode);
        }

        if (response.Content.Headers.ContentLength == 0)
        {
            response.Dispose();
            throw new HttpRequestException($"GET {uri} answered with no audio.");
        }
        return new DownloadedRecording(response, await response.Content.ReadAsStreamAsync(cancellationToken));
    }

    /// <summary>Twilio serves a recording's audio at its RecordingUrl plus .wav (or .mp3).</summary>
    public static Uri MediaUri(string recordingUrl)
    {
        if (!Uri.TryCreate(recordingUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new PermanentJobException($"'{recordingUrl}' is not an http(s) recording URL.");
        }
        if (uri.AbsolutePath.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) || uri.AbsolutePath.EndsWith(".mp3", StringComparison.OrdinalIgnoreCase))
        {
            return uri;
        }
        return new UriBuilder(uri) { Path = uri.AbsolutePath + ".wav" }.Uri;
    }

    public static bool IsAllowed(Uri uri, RecordingsOptions options)
    {
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }
        if (string.Equals(uri.IdnHost, RecordingsOptions.TwilioApiHost, StringComparison.OrdinalIgnoreCase))
        {
            return uri.Scheme == Uri.UriSchemeHttps;
        }
        var configured = options.AllowedHosts.Any(host => string.Equals(host.Trim(), uri.IdnHost, StringComparison.OrdinalIgnoreCase));
        // Credentials in clear text only to this machine (a test double), never over a network.
        return configured && (uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback);
    }

    /// <summary>A recording host on this machine while developing: the simulator's, never given credentials.</summary>
    public static bool IsLocalSimulator(Uri uri, IHostEnvironment environment) =>
        environment.IsDevelopment() && uri.IsLoopback && string.IsNullOrEmpty(uri.UserInfo);

    private static AuthenticationHeaderValue BasicCredentials(TwilioOptions options)
    {
        var (user, password) = !string.IsNullOrWhiteSpace(options.ApiKey) && !string.IsNullOrWhiteSpace(options.ApiSecret)
            ? (options.ApiKey, options.ApiSecret)
            : (options.AccountSid, options.AuthToken);
        if (string.IsNullOrWhiteSpace(user) || string.IsNullOrWhiteSpace(password))
        {
            throw new PermanentJobException("Twilio credentials are not configured (Twilio:AccountSid and Twilio:AuthToken, or Twilio:ApiKey and Twilio:ApiSecret).");
        }
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }
}
