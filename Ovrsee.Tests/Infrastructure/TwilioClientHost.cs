using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// The SDK's REST client (<see cref="ITwilioRestClient"/>) built in-process exactly as a service
/// builds it, including ServiceDefaults' standard resilience handler for every HttpClient (which
/// the Twilio client must remove), with a handler that records each attempt as it leaves.
/// </summary>
public sealed class TwilioClientHost : IDisposable
{
    private readonly ServiceProvider _services;

    public TwilioClientHost(Uri baseUrl, IDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = TestServiceEnvironment.AccountSid,
            ["Twilio:AuthToken"] = TestServiceEnvironment.AuthToken,
            ["Twilio:BaseUrl"] = baseUrl.ToString().TrimEnd('/'),
        };
        foreach (var (key, value) in FastResilience)
        {
            configuration[key] = value;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        // What AddServiceDefaults does for every client.
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        services.AddTwilioRestClient(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build())
            .AddHttpMessageHandler(() => new RecordingHandler(Sent));
        _services = services.BuildServiceProvider();
    }

    /// <summary>
    /// Short delays for tests; the rules (what is retried, Retry-After) are the production ones.
    /// The attempt timeout is what ends a <c>TwilioFault.Hang</c>: long enough that no honest answer
    /// of the in-process double (it checks requests against Prism off the answer path) runs into
    /// it on a busy machine, short enough that the hang tests stay quick.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> FastResilience { get; } = new Dictionary<string, string?>
    {
        // Generous: on a loaded 2-core machine a request through Prism can take seconds, and an
        // attempt that times out is retried, which changes what the tests count. The tests that
        // hang Twilio on purpose pay this once.
        ["Twilio:Resilience:AttemptTimeout"] = "00:00:10",
        ["Twilio:Resilience:TotalTimeout"] = "00:01:00",
        ["Twilio:Resilience:RetryBaseDelay"] = "00:00:00.020",
        ["Twilio:Resilience:MaxRetryDelay"] = "00:00:05",
        ["Twilio:Resilience:PurchaseRetryDelay"] = "00:00:00.020",
    };

    /// <summary>A new client, as a service resolves one per use.</summary>
    public ITwilioRestClient Client => _services.GetRequiredService<ITwilioRestClient>();

    public IncomingPhoneNumberPurchaser Purchaser => _services.GetRequiredService<IncomingPhoneNumberPurchaser>();

    /// <summary>Every HTTP attempt the client made (after the resilience pipeline).</summary>
    public ConcurrentQueue<SentRequest> Sent { get; } = new();

    public void Dispose() => _services.Dispose();

    private sealed class RecordingHandler(ConcurrentQueue<SentRequest> sent) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            sent.Enqueue(new SentRequest(request.Method.Method, request.RequestUri!, body, request.Headers.Authorization?.ToString(),
                request.Headers.UserAgent.ToString()));
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>A snapshot of one attempt: the message itself is disposed by the client.</summary>
public sealed record SentRequest(string Method, Uri Uri, string? Body, string? Authorization, string UserAgent)
{
    /// <summary>Query parameters and form fields, by name.</summary>
    public IReadOnlyList<string> ParameterNames =>
    [
        .. Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Uri.Query).Keys,
        .. Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Body ?? "").Keys,
    ];

    public string? Query(string name) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Uri.Query).TryGetValue(name, out var value) ? value.ToString() : null;

    public string? Form(string name) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Body ?? "").TryGetValue(name, out var value) ? value.ToString() : null;
}
