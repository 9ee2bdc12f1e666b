using System.Net;
using System.Xml.Linq;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Testing;
using Ovrsee.Tests.Calls;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.AppHost;

/// <summary>The whole system from the testing builder: the AppHost's graph on free ports and a throwaway database.</summary>
public class WholeSystemTests
{
    private const string Caller = "+14155550100";

    [Fact]
    public async Task A_signed_incoming_call_and_its_completion_are_recorded_for_the_numbers_workspace()
    {
        var appHost = OvrseeTestingBuilder.Create();
        await using var app = await appHost.BuildAsync();
        await app.StartAsync();

        var workspace = await Seed.WorkspaceAsync(app.AdminConnectionString);
        var number = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(app.AdminConnectionString, workspace, number);
        var callSid = Seed.NewCallSid();
        using var twilio = new TwilioWebhookClient(app.GetEndpoint(OvrseeSystem.WebhookApi), app.TwilioAuthToken);

        var answer = await twilio.PostAsync("/api/aloha/webhooks/incoming-call", TwilioForms.IncomingCall(callSid, Caller, number));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.NotNull(XDocument.Parse(await answer.Content.ReadAsStringAsync()).Root!.Element("Record"));
        var completed = await twilio.PostAsync("/api/aloha/webhooks/call-status",
            TwilioForms.Status(callSid, Caller, number, "completed", sequence: 3, DateTimeOffset.UtcNow, duration: 42));
        Assert.Equal(HttpStatusCode.NoContent, completed.StatusCode);

        // Read back as the front end would: a workspace member through the calls API.
        var member = Guid.NewGuid();
        await Seed.MemberAsync(app.AdminConnectionString, workspace, member);
        using var api = app.CreateHttpClient(OvrseeSystem.WebhookApi);
        var token = CallsApiClient.TokenFor(member, secret: app.Settings["Auth__JwtSecret"]);
        var page = await CallsApiClient.JsonAsync(await CallsApiClient.GetAsync(api, "/api/aloha/calls", token));
        var call = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(callSid, call.GetProperty("callSid").GetString());
        Assert.Equal("completed", call.GetProperty("status").GetString());
        Assert.Equal(42, call.GetProperty("durationSeconds").GetInt32());
        Assert.Equal(Caller, call.GetProperty("from").GetString());

        using var provisioning = app.CreateHttpClient(OvrseeSystem.Provisioning);
        Assert.Equal(HttpStatusCode.OK, (await provisioning.GetAsync("/health")).StatusCode);
        var environment = app.Application.Get<ProjectResource>(OvrseeSystem.Provisioning).ResolveEnvironment();
        Assert.Equal(app.GetEndpoint(OvrseeSystem.WebhookApi).ToString().TrimEnd('/'), environment["services__webhookapi__http__0"]);
        Assert.Equal(app.GetConnectionString(), environment["ConnectionStrings__ovrsee"]);
    }

    [Fact]
    public async Task A_subset_leaves_out_what_nothing_waits_for_and_refuses_the_rest()
    {
        await using var app = await OvrseeTestingBuilder.Create().WithoutResource(OvrseeSystem.Provisioning).BuildAsync();

        Assert.Equal([OvrseeSystem.Postgres, OvrseeSystem.DatabaseName, OvrseeSystem.WebhookApi], app.Application.Resources.Select(r => r.Name));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => OvrseeTestingBuilder.Create().WithoutResource(OvrseeSystem.Postgres).BuildAsync());
        Assert.Contains("'ovrsee' waits for 'postgres'", refused.Message);
    }
}
