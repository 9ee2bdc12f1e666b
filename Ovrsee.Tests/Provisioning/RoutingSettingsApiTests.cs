using System.Text.Json.Nodes;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>A number's call routing through PATCH/GET /api/telephony/phone-numbers: defaults, storage, validation, roles.</summary>
[Trait("Category", "Slow")]
public class RoutingSettingsApiTests(ProvisioningFixture api) : IClassFixture<ProvisioningFixture>
{
    private const string Routing = """
        {"routing":{
          "timeZone":"America/New_York",
          "businessHours":{"monday":[{"from":"09:00","to":"12:00"},{"from":"13:00","to":"17:30"}],"friday":[{"from":"22:00","to":"02:00"}]},
          "closures":["2026-12-25","2026-01-01"],
          "duringHours":"agent","afterHours":"forward",
          "forward":{"targets":["+14155550100","+14155550101"],"strategy":"simultaneous","ringTimeoutSeconds":25,"callerId":"number"},
          "voicemailGreeting":{"text":"Leave us a message.","voice":"Polly.Joanna","language":"en-US"},
          "afterHoursGreeting":{"audioUrl":"https://cdn.example.com/closed.mp3"},
          "transferOnDtmfZero":true}}
        """;

    private async Task<(TestWorkspace Workspace, Guid Id, string Number)> NumberAsync()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        return (workspace, await Seed.PhoneNumberAsync(api.Admin, workspace.Id, number), number);
    }

    private Task<HttpResponseMessage> PatchAsync(TestWorkspace workspace, Guid id, string body, bool asMember = false) =>
        api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", asMember ? workspace.MemberToken : workspace.OwnerToken, body);

    private Task<string?> StoredAsync(Guid id) =>
        Seed.ScalarAsync<string>(api.Admin, "SELECT routing::text FROM user_phone_numbers WHERE id = $1", id);

    [Fact]
    public async Task A_number_without_settings_shows_the_defaults_that_route_as_before()
    {
        var (workspace, _, _) = await NumberAsync();

        var list = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers", workspace.MemberToken), 200);

        var routing = list["items"]![0]!["routing"]!;
        Assert.Equal("UTC", (string?)routing["timeZone"]);
        Assert.Equal("agent", (string?)routing["duringHours"]);
        Assert.Equal("voicemail", (string?)routing["afterHours"]);
        Assert.Null(routing["businessHours"]);
        Assert.False((bool)routing["transferOnDtmfZero"]!);
    }

    [Fact]
    public async Task Patch_stores_the_routing_GET_returns_it_and_null_restores_the_defaults()
    {
        var (workspace, id, _) = await NumberAsync();

        var changed = await ProvisioningFixture.JsonAsync(await PatchAsync(workspace, id, Routing), 200);
        Assert.Equal("forward", (string?)changed["routing"]!["afterHours"]);

        var list = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers", workspace.MemberToken), 200);
        var routing = list["items"]![0]!["routing"]!;
        Assert.Equal("America/New_York", (string?)routing["timeZone"]);
        Assert.Equal("22:00", (string?)routing["businessHours"]!["friday"]![0]!["from"]);
        Assert.Equal(["2026-01-01", "2026-12-25"], routing["closures"]!.AsArray().Select(d => (string)d!));
        Assert.Equal("simultaneous", (string?)routing["forward"]!["strategy"]);
        Assert.Equal(25, (int)routing["forward"]!["ringTimeoutSeconds"]!);
        Assert.Equal("number", (string?)routing["forward"]!["callerId"]);
        Assert.Equal("https://cdn.example.com/closed.mp3", (string?)routing["afterHoursGreeting"]!["audioUrl"]);
        var stored = JsonNode.Parse((await StoredAsync(id))!)!;
        Assert.Equal("+14155550101", (string?)stored["forward"]!["targets"]![1]);
        Assert.Equal("2026-12-25", (string?)stored["closures"]![1]);
        Assert.True((bool)routing["transferOnDtmfZero"]!);
        Assert.True((bool)stored["transferOnDtmfZero"]!);

        // Other fields leave the routing alone; routing: null restores the defaults.
        await ProvisioningFixture.JsonAsync(await PatchAsync(workspace, id, """{"friendlyName":"Front desk"}"""), 200);
        Assert.NotNull(await StoredAsync(id));
        var reset = await ProvisioningFixture.JsonAsync(await PatchAsync(workspace, id, """{"routing":null}"""), 200);
        Assert.Equal("agent", (string?)reset["routing"]!["duringHours"]);
        Assert.Null(await StoredAsync(id));
    }

    [Theory]
    [InlineData("""{"timeZone":"Mars/Olympus_Mons"}""", "routing.timeZone")]
    [InlineData("""{"timeZone":"Pacific Standard Time"}""", "routing.timeZone")]
    [InlineData("""{"businessHours":{"monday":[{"from":"09:00","to":"12:00"},{"from":"11:00","to":"14:00"}]}}""", "routing.businessHours.monday[1]")]
    // Friday's range runs past midnight into Saturday's.
    [InlineData("""{"businessHours":{"friday":[{"from":"22:00","to":"03:00"}],"saturday":[{"from":"02:00","to":"06:00"}]}}""", "routing.businessHours.saturday[0]")]
    // Sunday night into Monday morning wraps around the week.
    [InlineData("""{"businessHours":{"sunday":[{"from":"23:00","to":"01:00"}],"monday":[{"from":"00:30","to":"08:00"}]}}""", "routing.businessHours.sunday[0]")]
    [InlineData("""{"businessHours":{"monday":[{"from":"25:00","to":"26:00"}]}}""", "routing.businessHours.monday[0].from")]
    [InlineData("""{"businessHours":{"funday":[]}}""", "routing.businessHours.funday")]
    [InlineData("""{"closures":["2026-13-01"]}""", "routing.closures[0]")]
    [InlineData("""{"afterHours":"forward","forward":{"targets":["0155 555 0100"]}}""", "routing.forward.targets[0]")]
    [InlineData("""{"afterHours":"forward","forward":{"targets":["+14155550100","SELF"]}}""", "routing.forward.targets[1]")]
    [InlineData("""{"afterHours":"forward"}""", "routing.forward")]
    [InlineData("""{"forward":{"targets":["+14155550100"],"ringTimeoutSeconds":600}}""", "routing.forward.ringTimeoutSeconds")]
    [InlineData("""{"duringHours":"robot"}""", "routing.duringHours")]
    [InlineData("""{"voicemailGreeting":{"text":"Hi","audioUrl":"https://cdn.example.com/a.mp3"}}""", "routing.voicemailGreeting")]
    [InlineData("""{"afterHoursGreeting":{"audioUrl":"http://cdn.example.com/a.mp3"}}""", "routing.afterHoursGreeting.audioUrl")]
    [InlineData("""{"transferOnDtmfZero":"yes","forward":{"targets":["+14155550100"]}}""", "routing.transferOnDtmfZero")]
    [InlineData("""{"transferOnDtmfZero":true}""", "routing.forward")]
    [InlineData("""{"colour":"blue"}""", "routing.colour")]
    [InlineData("[]", "routing")]
    public async Task Invalid_routing_is_400_naming_the_field_and_changes_nothing(string routing, string field)
    {
        var (workspace, id, number) = await NumberAsync();

        var response = await PatchAsync(workspace, id, $$"""{"friendlyName":"x","routing":{{routing.Replace("SELF", number)}}}""");
        var problem = await ProvisioningFixture.JsonAsync(response, 400);

        Assert.NotNull(problem["errors"]![field]);
        Assert.Null(await StoredAsync(id));
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT friendly_name FROM user_phone_numbers WHERE id = $1", id));
    }

    [Fact]
    public async Task A_member_cannot_change_the_routing()
    {
        var (workspace, id, _) = await NumberAsync();

        await ProvisioningFixture.JsonAsync(await PatchAsync(workspace, id, Routing, asMember: true), 403);

        Assert.Null(await StoredAsync(id));
    }
}
