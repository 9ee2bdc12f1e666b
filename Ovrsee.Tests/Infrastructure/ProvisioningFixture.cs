using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ovrsee.Auth;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// The real Provisioning process on a database of its own, talking to a Twilio double (itself
/// validated by Prism against Twilio's description), for one test class.
/// </summary>
public class ProvisioningFixture : IAsyncLifetime
{
    /// <summary>
    /// Public-looking and https, so the public-URL refusal stays on. ".invalid" never resolves
    /// (RFC 6761), so the reachability check answers "not reachable" at once.
    /// </summary>
    public const string PublicBaseUrl = "https://aloha-webhooks.ovrsee.invalid";

    private Dictionary<string, string?> _environment = null!;

    public TestDatabase Database { get; private set; } = null!;
    public TwilioDouble Twilio { get; private set; } = null!;
    public ServiceProcess Service { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string Admin => Database.AdminConnectionString;

    protected virtual string? WebhookBaseUrl => PublicBaseUrl;

    /// <summary>Settings a test class adds or overrides.</summary>
    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        var prism = PrismServer.GetAsync();
        Database = await TestPostgres.CreateDatabaseAsync();
        Twilio = await TwilioDouble.StartAsync(await prism);

        _environment = TestServiceEnvironment.For(Database.ServiceConnectionString, WebhookBaseUrl);
        _environment["Twilio__BaseUrl"] = Twilio.BaseUrl.ToString().TrimEnd('/');
        foreach (var (key, value) in TwilioClientHost.FastResilience)
        {
            _environment[key.Replace(":", "__")] = value;
        }
        // One process serves every test in the class: the failures one test injects must not open
        // the circuit for the next (the circuit has tests of its own, on a client of its own).
        _environment["Twilio__Resilience__CircuitMinimumThroughput"] = "1000";
        _environment["Provisioning__ReconcileInterval"] = "00:00:00.250";
        _environment["Provisioning__ReconcileAfter"] = "00:00:03";
        _environment["Provisioning__PublicUrlProbeTimeout"] = "00:00:02";
        foreach (var (key, value) in ExtraSettings)
        {
            _environment[key] = value;
        }
        await StartServiceAsync();
    }

    /// <summary>A new process on a new port (after <see cref="ServiceProcess.Kill"/>, say), same database and settings.</summary>
    public async Task StartServiceAsync()
    {
        Http?.Dispose();
        Service = new ServiceProcess(ServiceProject.Provisioning, new Uri($"http://127.0.0.1:{LoopbackPort.Free()}/"), _environment);
        Service.Start();
        await Service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        Http = new HttpClient { BaseAddress = Service.HttpEndpoint, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>A workspace with an owner and a plain member.</summary>
    public async Task<TestWorkspace> NewWorkspaceAsync(string name = "Workspace")
    {
        var id = await Seed.WorkspaceAsync(Admin, name);
        var owner = Guid.NewGuid();
        var member = Guid.NewGuid();
        await Seed.MemberAsync(Admin, id, owner, "owner");
        await Seed.MemberAsync(Admin, id, member, "member");
        return new TestWorkspace(id, Token(owner), Token(member), owner);
    }

    public static string Token(Guid userId) => SupabaseStyleToken.Create(TestServiceEnvironment.JwtSecret, userId, TimeSpan.FromHours(1));

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        if (body is not null)
        {
            var json = body as string ?? JsonSerializer.Serialize(body);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PurchaseAsync(string token, string phoneNumber, string? idempotencyKey = null, string? friendlyName = null) =>
        SendAsync(HttpMethod.Post, "/api/telephony/twilio/purchase-number", token,
            friendlyName is null ? new { phoneNumber } : new { phoneNumber, friendlyName }, idempotencyKey);

    public static async Task<JsonNode> JsonAsync(HttpResponseMessage response, int expectedStatus)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static string NewNumber() => "+1415" + Random.Shared.Next(2000000, 9999999);

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        await Service.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}

public sealed record TestWorkspace(Guid Id, string OwnerToken, string MemberToken, Guid OwnerId);
