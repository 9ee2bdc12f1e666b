using System.Xml.Linq;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.Tests.Streaming;

namespace Ovrsee.Tests.Routing;

/// <summary>
/// The real WebhookApi with the fake Aloha agent, whose Twilio REST API is the <see cref="TwilioDouble"/>
/// (every request also checked by Prism against Twilio's OpenAPI description): a transfer's call
/// update lands there.
/// </summary>
public sealed class TransferFixture : AlohaStreamFixture
{
    public TwilioDouble TwilioApi { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Twilio__BaseUrl"] = TwilioApi.BaseUrl.ToString().TrimEnd('/');
            foreach (var (key, value) in TwilioClientHost.FastResilience)
            {
                settings[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        TwilioApi = await TwilioDouble.StartAsync(await PrismServer.GetAsync());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await TwilioApi.DisposeAsync();
    }

    /// <summary>A number with this routing, in a workspace with this agent (null: the built-in one, chosen).</summary>
    public async Task<string> NumberAsync(string? agentUrl, string routingJson)
    {
        var (workspace, number) = await NumberAsync(agentUrl);
        if (agentUrl is null)
        {
            await Seed.ExecuteAsync(Admin, "UPDATE workspaces SET agent_builtin = true WHERE id = $1", workspace);
        }
        await Seed.ExecuteAsync(Admin, "UPDATE user_phone_numbers SET routing = $2::jsonb WHERE phone_number = $1", number, routingJson);
        return number;
    }

    /// <summary>Twilio knows the call as live (or <paramref name="status"/>), so it can be redirected.</summary>
    public DoubleCall Live(StreamCall call, string status = "in-progress") => TwilioApi.AddCall(new DoubleCall
    {
        Sid = call.CallSid,
        From = Caller,
        To = call.Number,
        Status = status,
        StartTime = DateTimeOffset.UtcNow,
    });

    /// <summary>The TwiML of the one update Twilio got for the call.</summary>
    public XDocument UpdatedTwiML(string callSid)
    {
        var update = Assert.Single(TwilioApi.CallUpdates, r => r.Path.EndsWith($"/Calls/{callSid}.json", StringComparison.Ordinal));
        return XDocument.Parse(update.Form["Twiml"]);
    }

    public async Task<XDocument> PostAsync(string url, Dictionary<string, string> form)
    {
        var response = await Twilio.PostAsync(new Uri(url).PathAndQuery, form);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
