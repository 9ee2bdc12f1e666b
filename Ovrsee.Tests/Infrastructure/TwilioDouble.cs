using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// A stateful stand-in for Twilio's phone-number API on 127.0.0.1:0 (real Kestrel, real HTTP):
/// it keeps the account's numbers, records every request, and injects faults on demand: a
/// status (429 with Retry-After, 5xx), a hang until the client gives up, a dropped connection,
/// each optionally after doing the work (Twilio bought the number, the answer was lost).
/// Beside Prism: every request is also validated against Twilio's OpenAPI description, and an
/// invalid one is recorded as a contract violation (<see cref="ContractViolationsAsync"/>). The
/// check runs off the answer path, so how fast Prism is on a busy machine never decides whether
/// an answer beats the client's attempt timeout.
/// </summary>
public sealed partial class TwilioDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient? _prism;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<Task> _validations = new();
    private readonly List<(Func<RecordedRequest, bool> Matches, TwilioFault Fault)> _faults = [];
    private readonly ConcurrentDictionary<string, OwnedNumber> _numbers = new();
    private readonly ConcurrentDictionary<string, byte> _unavailable = new();
    private readonly ConcurrentDictionary<string, int> _purchases = new();
    private readonly Lock _purchaseLock = new();

    private TwilioDouble(WebApplication app, Uri baseUrl, HttpClient? prism)
    {
        _app = app;
        BaseUrl = baseUrl;
        _prism = prism;
    }

    public string AccountSid { get; init; } = TestServiceEnvironment.AccountSid;
    public string AuthToken { get; init; } = TestServiceEnvironment.AuthToken;
    public (string Sid, string Secret)? ApiKey { get; private init; }

    /// <summary>e.g. http://127.0.0.1:43117 (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Requests Prism refused, with its reasons, once every check so far has finished. Tests assert this stays empty.</summary>
    public async Task<IReadOnlyList<string>> ContractViolationsAsync()
    {
        await Task.WhenAll(_validations);
        return [.. _violations];
    }

    public IReadOnlyCollection<OwnedNumber> Numbers => [.. _numbers.Values];

    /// <param name="apiKey">An API key (SK…) and secret accepted besides the Account SID and Auth Token.</param>
    public static async Task<TwilioDouble> StartAsync(PrismServer? validateWith, (string Sid, string Secret)? apiKey = null)
    {
        var builder = LoopbackWebApp.CreateBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var prism = validateWith is null ? null : new HttpClient { BaseAddress = validateWith.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        TwilioDouble? self = null;
        app.Run(context => self!.HandleAsync(context));
        var address = await LoopbackWebApp.StartAsync(app);
        self = new TwilioDouble(app, address, prism) { ApiKey = apiKey };
        return self;
    }

    /// <summary>The next request matching <paramref name="matches"/> meets <paramref name="fault"/> (once).</summary>
    public void Inject(Func<RecordedRequest, bool> matches, TwilioFault fault)
    {
        lock (_faults)
        {
            _faults.Add((matches, fault));
        }
    }

    public void InjectOnCreate(string phoneNumber, TwilioFault fault) =>
        Inject(r => r.IsCreate && r.Form.GetValueOrDefault("PhoneNumber") == phoneNumber, fault);

    /// <summary>Someone else bought it: a purchase gets Twilio's 21422.</summary>
    public void MakeUnavailable(string phoneNumber) => _unavailable[phoneNumber] = 0;

    /// <summary>Put a number on the account as if an earlier purchase had gone through.</summary>
    public OwnedNumber Own(string phoneNumber, string? voiceUrl = null)
    {
        var number = new OwnedNumber(NewSid(), phoneNumber) { VoiceUrl = voiceUrl };
        _numbers[number.Sid] = number;
        return number;
    }

    public OwnedNumber? Find(string phoneNumber) => _numbers.Values.FirstOrDefault(n => n.PhoneNumber == phoneNumber);

    /// <summary>Creates that bought the number (whatever the client heard back): a purchase must stay at one.</summary>
    public int PurchasesOf(string phoneNumber) => _purchases.GetValueOrDefault(phoneNumber);

    /// <summary>Create requests that arrived for the number, refused, failed or successful.</summary>
    public int CreatesFor(string phoneNumber) =>
        _requests.Count(r => r.IsCreate && r.Form.GetValueOrDefault("PhoneNumber") == phoneNumber);

    public IReadOnlyList<RecordedRequest> For(string phoneNumber) =>
        [.. _requests.Where(r => r.Form.GetValueOrDefault("PhoneNumber") == phoneNumber || r.Query.GetValueOrDefault("PhoneNumber") == phoneNumber)];

    public static string NewSid() => "PN" + Guid.NewGuid().ToString("N");

    private async Task HandleAsync(HttpContext context)
    {
        var request = await RecordAsync(context.Request);
        _requests.Enqueue(request);

        if (request.Path == "/health")
        {
            await context.Response.WriteAsync("Healthy");
            return;
        }
        if (!request.Path.StartsWith("/2010-04-01/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return;
        }
        if (_prism is not null)
        {
            _validations.Enqueue(ValidateAsync(request));
        }
        if (!Authorized(request))
        {
            await ErrorAsync(context, 401, 20003, "Authenticate");
            return;
        }

        var fault = TakeFault(request);
        if (fault is TwilioFault.Slow slow)
        {
            await Task.Delay(slow.Delay, context.RequestAborted);
            fault = null;
        }
        if (fault is not null && !fault.ActFirst)
        {
            await ApplyAsync(context, fault);
            return;
        }

        var (status, body) = Act(request);
        if (fault is not null)
        {
            await ApplyAsync(context, fault);
            return;
        }
        context.Response.StatusCode = status;
        if (body is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        }
    }

    private (int Status, string? Body) Act(RecordedRequest request)
    {
        var path = request.Path;
        if (ActOnCallHistory(request) is { } history)
        {
            return history;
        }
        if (ActOnMessages(request) is { } messages)
        {
            return messages;
        }
        if (AvailablePath().Match(path) is { Success: true } available && request.Method == "GET")
        {
            return (200, AvailableNumbers(available.Groups["type"].Value, request.Query));
        }
        if (ListPath().IsMatch(path))
        {
            if (request.Method == "GET")
            {
                var wanted = request.Query.GetValueOrDefault("PhoneNumber");
                var matches = _numbers.Values.Where(n => wanted is null || n.PhoneNumber == wanted).Select(Resource);
                return (200, JsonSerializer.Serialize(new { incoming_phone_numbers = matches, page = 0, page_size = 20 }));
            }
            if (request.Method == "POST")
            {
                return Purchase(request.Form);
            }
        }
        if (InstancePath().Match(path) is { Success: true } instance)
        {
            var sid = instance.Groups["sid"].Value;
            if (!_numbers.TryGetValue(sid, out var number))
            {
                return (404, TwilioError(20404, $"The requested resource {path} was not found", 404));
            }
            if (request.Method == "POST")
            {
                number.Apply(request.Form);
                return (200, JsonSerializer.Serialize(Resource(number)));
            }
            if (request.Method == "DELETE")
            {
                _numbers.TryRemove(sid, out _);
                return (204, null);
            }
        }
        return (404, TwilioError(20404, $"The requested resource {path} was not found", 404));
    }

    private (int, string) Purchase(IReadOnlyDictionary<string, string> form)
    {
        var phoneNumber = form.GetValueOrDefault("PhoneNumber") ?? "";
        lock (_purchaseLock)
        {
            if (_unavailable.ContainsKey(phoneNumber) || _numbers.Values.Any(n => n.PhoneNumber == phoneNumber))
            {
                return (400, TwilioError(21422, $"Phone number {phoneNumber} is not available.", 400));
            }
            var number = new OwnedNumber(NewSid(), phoneNumber);
            number.Apply(form);
            _numbers[number.Sid] = number;
            _purchases.AddOrUpdate(phoneNumber, 1, (_, count) => count + 1);
            return (201, JsonSerializer.Serialize(Resource(number)));
        }
    }

    private static string AvailableNumbers(string type, IReadOnlyDictionary<string, string> query)
    {
        var tollFree = type == "TollFree";
        var prefix = tollFree ? "+1833" : "+1" + (query.GetValueOrDefault("AreaCode") ?? "415");
        var size = int.TryParse(query.GetValueOrDefault("PageSize"), out var n) ? Math.Min(n, 5) : 5;
        var numbers = Enumerable.Range(0, size).Select(i => new
        {
            phone_number = $"{prefix}555{i:D4}",
            friendly_name = $"({prefix[2..5]}) 555-{i:D4}",
            locality = tollFree ? null : "San Francisco",
            region = tollFree ? null : "CA",
            postal_code = tollFree ? null : "94103",
            iso_country = "US",
            address_requirements = "none",
            beta = false,
            capabilities = new Dictionary<string, bool> { ["voice"] = true, ["SMS"] = true, ["MMS"] = !tollFree },
        });
        return JsonSerializer.Serialize(new { available_phone_numbers = numbers });
    }

    private object Resource(OwnedNumber number) => new
    {
        sid = number.Sid,
        account_sid = AccountSid,
        phone_number = number.PhoneNumber,
        friendly_name = number.FriendlyName ?? number.PhoneNumber,
        voice_url = number.VoiceUrl,
        voice_method = number.VoiceMethod ?? "POST",
        status_callback = number.StatusCallback ?? "",
        status_callback_method = number.StatusCallbackMethod ?? "POST",
        api_version = "2010-04-01",
        status = "in-use",
    };

    private static string TwilioError(int code, string message, int status) => JsonSerializer.Serialize(new
    {
        code,
        message,
        more_info = $"https://www.twilio.com/docs/errors/{code}",
        status,
    });

    private static async Task ErrorAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(TwilioError(code, message, status));
    }

    private TwilioFault? TakeFault(RecordedRequest request)
    {
        lock (_faults)
        {
            var index = _faults.FindIndex(f => f.Matches(request));
            if (index < 0)
            {
                return null;
            }
            var fault = _faults[index].Fault;
            _faults.RemoveAt(index);
            return fault;
        }
    }

    private static async Task ApplyAsync(HttpContext context, TwilioFault fault)
    {
        switch (fault)
        {
            case TwilioFault.Status status:
                context.Response.StatusCode = status.Code;
                if (status.RetryAfterSeconds is { } seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString();
                }
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(TwilioError(status.TwilioCode ?? (status.Code == 429 ? 20429 : 20500), status.Message, status.Code));
                break;
            case TwilioFault.Hang:
                // Until the client gives up (its attempt timeout), which aborts the request.
                try { await Task.Delay(Timeout.Infinite, context.RequestAborted); } catch (OperationCanceledException) { }
                break;
            case TwilioFault.Drop:
                context.Abort();
                break;
        }
    }

    private bool Authorized(RecordedRequest request)
    {
        static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        var authenticated = request.Authorization == Basic(AccountSid, AuthToken)
            || (ApiKey is var (sid, secret) && request.Authorization == Basic(sid, secret));
        return authenticated && request.Path.StartsWith($"/2010-04-01/Accounts/{AccountSid}/", StringComparison.Ordinal);
    }

    /// <summary>Asks Prism whether Twilio's description accepts this exact request.</summary>
    private async Task ValidateAsync(RecordedRequest request)
    {
        using var copy = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        if (request.Authorization is not null)
        {
            copy.Headers.TryAddWithoutValidation("Authorization", request.Authorization);
        }
        if (request.ContentType is not null)
        {
            copy.Content = new ByteArrayContent(request.Body);
            copy.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }
        using var response = await _prism!.SendAsync(copy);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            _violations.Enqueue($"{request.Method} {request.Path}{request.QueryString} → {(int)response.StatusCode} {body}");
        }
    }

    private static async Task<RecordedRequest> RecordAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
        {
            foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)))
            {
                form[name] = values.ToString();
            }
        }
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        return new RecordedRequest(
            request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", query, form, body,
            request.ContentType, request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null, DateTimeOffset.UtcNow);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_validations);
        _prism?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/AvailablePhoneNumbers/[A-Z]{2}/(?<type>Local|TollFree|Mobile)\.json$")]
    private static partial Regex AvailablePath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/IncomingPhoneNumbers\.json$")]
    private static partial Regex ListPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/IncomingPhoneNumbers/(?<sid>PN[0-9a-fA-F]{32})\.json$")]
    private static partial Regex InstancePath();
}

public sealed record RecordedRequest(
    string Method, string Path, string QueryString, IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Form, byte[] Body, string? ContentType, string? Authorization, DateTimeOffset At)
{
    public bool IsCreate => Method == "POST" && Path.EndsWith("/IncomingPhoneNumbers.json", StringComparison.Ordinal);
    public bool IsList => Method == "GET" && Path.EndsWith("/IncomingPhoneNumbers.json", StringComparison.Ordinal);
    public bool IsSearch => Method == "GET" && Path.Contains("/AvailablePhoneNumbers/", StringComparison.Ordinal);
}

/// <summary>A number on the double's account, with what it was last configured to.</summary>
public sealed class OwnedNumber(string sid, string phoneNumber)
{
    public string Sid { get; } = sid;
    public string PhoneNumber { get; } = phoneNumber;
    public string? FriendlyName { get; set; }
    public string? VoiceUrl { get; set; }
    public string? VoiceMethod { get; set; }
    public string? StatusCallback { get; set; }
    public string? StatusCallbackMethod { get; set; }
    public int Updates { get; private set; }

    internal void Apply(IReadOnlyDictionary<string, string> form)
    {
        lock (this)
        {
            FriendlyName = form.GetValueOrDefault("FriendlyName") ?? FriendlyName;
            VoiceUrl = form.GetValueOrDefault("VoiceUrl") ?? VoiceUrl;
            VoiceMethod = form.GetValueOrDefault("VoiceMethod") ?? VoiceMethod;
            StatusCallback = form.GetValueOrDefault("StatusCallback") ?? StatusCallback;
            StatusCallbackMethod = form.GetValueOrDefault("StatusCallbackMethod") ?? StatusCallbackMethod;
            Updates++;
        }
    }
}

/// <summary>What the double does instead of (or after, with <see cref="ActFirst"/>) answering normally.</summary>
public abstract record TwilioFault(bool ActFirst)
{
    /// <summary>Answer with this status and a Twilio error body.</summary>
    public sealed record Status(int Code, string Message = "Injected failure", int? RetryAfterSeconds = null, int? TwilioCode = null, bool After = false) : TwilioFault(After);

    /// <summary>Never answer: the client's timeout ends it.</summary>
    public sealed record Hang(bool After = false) : TwilioFault(After);

    /// <summary>Close the connection without an answer.</summary>
    public sealed record Drop(bool After = false) : TwilioFault(After);

    /// <summary>Answer normally, after <paramref name="Delay"/>.</summary>
    public sealed record Slow(TimeSpan Delay) : TwilioFault(false);
}
