using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>Listing, changing, releasing and re-pointing numbers; roles and workspace isolation; search.</summary>
[Trait("Category", "Slow")]
public class PhoneNumbersApiTests(ProvisioningFixture api) : IClassFixture<ProvisioningFixture>
{
    private TwilioDouble Twilio => api.Twilio;

    /// <summary>A number on the Twilio account and recorded for the workspace, as a purchase leaves it.</summary>
    private async Task<(Guid Id, OwnedNumber Owned)> OwnedNumberAsync(Guid workspaceId, string? voiceUrl = null, bool recordSid = true)
    {
        var owned = Twilio.Own(ProvisioningFixture.NewNumber(), voiceUrl);
        var id = await Seed.ScalarAsync<Guid>(api.Admin,
            "INSERT INTO user_phone_numbers (workspace_id, phone_number, twilio_phone_sid) VALUES ($1, $2, $3) RETURNING id",
            workspaceId, owned.PhoneNumber, recordSid ? owned.Sid : DBNull.Value);
        return (id, owned);
    }

    [Fact]
    public async Task Members_list_their_workspaces_numbers_and_only_those()
    {
        var a = await api.NewWorkspaceAsync("A");
        var b = await api.NewWorkspaceAsync("B");
        var (aNumber, _) = await OwnedNumberAsync(a.Id);
        var aReleased = await Seed.PhoneNumberAsync(api.Admin, a.Id, ProvisioningFixture.NewNumber(), active: false);
        var (bNumber, _) = await OwnedNumberAsync(b.Id);

        var active = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers", a.MemberToken), 200);
        var all = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers?includeReleased=true", a.MemberToken), 200);

        Assert.Equal([aNumber], Ids(active));
        Assert.Equal([aNumber, aReleased], Ids(all));
        Assert.DoesNotContain(bNumber, Ids(all));
    }

    [Fact]
    public async Task Patch_turns_voicemail_off_and_sets_or_clears_the_label()
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, _) = await OwnedNumberAsync(workspace.Id);

        var changed = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken,
            new { voicemailEnabled = false, friendlyName = "  Reception  " }), 200);
        Assert.False((bool)changed["voicemailEnabled"]!);
        Assert.Equal("Reception", (string?)changed["friendlyName"]);

        var cleared = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken,
            """{"friendlyName":null}"""), 200);
        Assert.Null((string?)cleared["friendlyName"]);
        Assert.False((bool)cleared["voicemailEnabled"]!);
        Assert.False(await Seed.ScalarAsync<bool>(api.Admin, "SELECT voicemail_enabled FROM user_phone_numbers WHERE id = $1", id));
    }

    [Theory]
    [InlineData("""{"voicemailEnabled":"yes"}""", "voicemailEnabled")]
    [InlineData("""{"friendlyName":42}""", "friendlyName")]
    [InlineData("{}", "body")]
    [InlineData("""{"isActive":false}""", "isActive")]
    public async Task Patch_validation_names_the_field(string body, string field)
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, _) = await OwnedNumberAsync(workspace.Id);

        var problem = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken, body), 400);

        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task Release_removes_the_number_in_Twilio_and_keeps_an_inactive_row()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var bought = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number), 201);
        var id = (string)bought["phoneNumber"]!["id"]!;
        var sid = (string)bought["phoneNumber"]!["twilioPhoneSid"]!;

        var released = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Delete, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken), 200);

        Assert.False((bool)released["isActive"]!);
        Assert.NotNull((string?)released["releasedAt"]);
        Assert.Single(Twilio.Requests, r => r.Method == "DELETE" && r.Path.EndsWith($"/IncomingPhoneNumbers/{sid}.json", StringComparison.Ordinal));
        Assert.Null(Twilio.Find(number));
        Assert.False(await Seed.ScalarAsync<bool>(api.Admin, "SELECT is_active FROM user_phone_numbers WHERE id = $1", Guid.Parse(id)));
        Assert.NotNull(await Seed.ScalarAsync<DateTime?>(api.Admin, "SELECT released_at FROM user_phone_numbers WHERE id = $1", Guid.Parse(id)));

        // Releasing again answers the same and does not call Twilio again.
        var again = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Delete, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken), 200);
        Assert.Equal((string?)released["releasedAt"], (string?)again["releasedAt"]);
        Assert.Single(Twilio.Requests, r => r.Method == "DELETE" && r.Path.Contains(sid, StringComparison.Ordinal));
        Assert.Empty(await Twilio.ContractViolationsAsync());
    }

    [Fact]
    public async Task Release_of_a_number_Twilio_no_longer_has_still_deactivates_it()
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, owned) = await OwnedNumberAsync(workspace.Id);
        await Seed.ExecuteAsync(api.Admin, "UPDATE user_phone_numbers SET twilio_phone_sid = $2 WHERE id = $1", id, TwilioDouble.NewSid());

        var released = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Delete, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken), 200);

        Assert.False((bool)released["isActive"]!);
        Assert.NotNull(Twilio.Find(owned.PhoneNumber));
    }

    [Fact]
    public async Task A_member_gets_403_on_every_change_and_Twilio_hears_nothing()
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, owned) = await OwnedNumberAsync(workspace.Id);
        var before = Twilio.Requests.Count;

        var responses = new[]
        {
            await api.PurchaseAsync(workspace.MemberToken, ProvisioningFixture.NewNumber()),
            await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.MemberToken, new { voicemailEnabled = false }),
            await api.SendAsync(HttpMethod.Delete, $"/api/telephony/phone-numbers/{id}", workspace.MemberToken),
            await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", workspace.MemberToken, new { phoneNumberId = id }),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.All(responses, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.Equal(before, Twilio.Requests.Count);
        Assert.True(await Seed.ScalarAsync<bool>(api.Admin, "SELECT is_active AND voicemail_enabled FROM user_phone_numbers WHERE id = $1", id));
        Assert.NotNull(Twilio.Find(owned.PhoneNumber));
        // Listing is for every member.
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers", workspace.MemberToken)).StatusCode);
    }

    [Fact]
    public async Task Another_workspaces_number_is_404_for_every_operation()
    {
        var mine = await api.NewWorkspaceAsync("Mine");
        var theirs = await api.NewWorkspaceAsync("Theirs");
        var (id, owned) = await OwnedNumberAsync(theirs.Id, voiceUrl: "https://theirs.example.com/voice");

        var responses = new[]
        {
            await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", mine.OwnerToken, new { voicemailEnabled = false }),
            await api.SendAsync(HttpMethod.Delete, $"/api/telephony/phone-numbers/{id}", mine.OwnerToken),
            await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", mine.OwnerToken, new { phoneNumberId = id }),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.True(await Seed.ScalarAsync<bool>(api.Admin, "SELECT is_active AND voicemail_enabled FROM user_phone_numbers WHERE id = $1", id));
        Assert.Equal("https://theirs.example.com/voice", Twilio.Find(owned.PhoneNumber)!.VoiceUrl);
        Assert.Equal(0, owned.Updates);
        // Buying it is refused without saying whose it is.
        var problem = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(mine.OwnerToken, owned.PhoneNumber), 409);
        Assert.Equal("Number not available", (string?)problem["title"]);
    }

    [Fact]
    public async Task Configure_webhooks_repoints_the_number_records_when_and_reports_reachability()
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, owned) = await OwnedNumberAsync(workspace.Id, voiceUrl: "https://old-tunnel.example.com/api/aloha/webhooks/incoming-call");

        var body = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", workspace.OwnerToken, new { phoneNumberId = id }), 200);

        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/incoming-call{WebhookTargets.IncomingCallOverrides}", owned.VoiceUrl);
        Assert.Equal("POST", owned.VoiceMethod);
        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/call-status{WebhookTargets.CallStatusOverrides}", owned.StatusCallback);
        var update = Assert.Single(Twilio.Requests, r => r.Method == "POST" && r.Path.EndsWith($"/{owned.Sid}.json", StringComparison.Ordinal));
        Assert.Equal(["StatusCallback", "StatusCallbackMethod", "VoiceMethod", "VoiceUrl"], update.Form.Keys.Order());
        Assert.NotNull((string?)body["phoneNumber"]!["webhooksConfiguredAt"]);
        Assert.NotNull(await Seed.ScalarAsync<DateTime?>(api.Admin, "SELECT webhooks_configured_at FROM user_phone_numbers WHERE id = $1", id));
        Assert.Equal(owned.VoiceUrl, (string?)body["webhooks"]!["voiceUrl"]);
        Assert.False((bool)body["webhooks"]!["publicUrlCheck"]!["reachable"]!);
        Assert.Empty(await Twilio.ContractViolationsAsync());
    }

    [Fact]
    public async Task Configure_webhooks_finds_the_sid_of_a_number_recorded_without_one()
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, owned) = await OwnedNumberAsync(workspace.Id, recordSid: false);

        await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", workspace.OwnerToken, new { phoneNumberId = id }), 200);

        Assert.Equal(owned.Sid, await Seed.ScalarAsync<string>(api.Admin, "SELECT twilio_phone_sid FROM user_phone_numbers WHERE id = $1", id));
        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/incoming-call{WebhookTargets.IncomingCallOverrides}", owned.VoiceUrl);
    }

    [Theory]
    [InlineData("POST", "/api/telephony/twilio/purchase-number")]
    [InlineData("POST", "/api/aloha/configure-webhooks")]
    [InlineData("PATCH", "/api/telephony/phone-numbers/{id}")]
    public async Task A_body_over_the_limit_is_413_problem_details_and_changes_nothing(string method, string path)
    {
        var workspace = await api.NewWorkspaceAsync();
        var (id, _) = await OwnedNumberAsync(workspace.Id);
        var oversized = JsonSerializer.Serialize(new { friendlyName = new string('x', 200_000) });

        var response = await api.SendAsync(new HttpMethod(method), path.Replace("{id}", id.ToString()), workspace.OwnerToken, oversized, Guid.NewGuid().ToString());

        var problem = await ProvisioningFixture.JsonAsync(response, 413);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Request body too large", (string?)problem["title"]);
        Assert.Equal(0, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM number_purchases WHERE workspace_id = $1", workspace.Id));
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT friendly_name FROM user_phone_numbers WHERE id = $1", id));
    }

    [Theory]
    [InlineData("{}", "phoneNumberId")]
    [InlineData("""{"phoneNumberId":"not-a-uuid"}""", "phoneNumberId")]
    [InlineData("""{"phoneNumberId":7}""", "phoneNumberId")]
    public async Task Configure_webhooks_validation_names_the_field(string body, string field)
    {
        var workspace = await api.NewWorkspaceAsync();
        var problem = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Post, "/api/aloha/configure-webhooks", workspace.OwnerToken, body), 400);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task Search_finds_local_and_toll_free_numbers_that_take_calls()
    {
        var workspace = await api.NewWorkspaceAsync();

        var local = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Get, "/api/telephony/twilio/available-numbers?areaCode=212&contains=555&limit=3", workspace.MemberToken), 200);
        var tollFree = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Get, "/api/telephony/twilio/available-numbers?type=tollfree", workspace.MemberToken), 200);

        Assert.Equal("local", (string?)local["type"]);
        Assert.Equal(3, local["items"]!.AsArray().Count);
        Assert.All(local["items"]!.AsArray(), n => Assert.StartsWith("+1212", (string?)n!["phoneNumber"]));
        Assert.True((bool)local["items"]![0]!["capabilities"]!["voice"]!);
        Assert.Equal("tollfree", (string?)tollFree["type"]);
        var searches = Twilio.Requests.Where(r => r.IsSearch).ToList();
        Assert.Contains(searches, r => r.Path.EndsWith("/AvailablePhoneNumbers/US/Local.json", StringComparison.Ordinal)
            && r.Query["AreaCode"] == "212" && r.Query["Contains"] == "555" && r.Query["PageSize"] == "3" && r.Query["VoiceEnabled"] == "true");
        Assert.Contains(searches, r => r.Path.EndsWith("/AvailablePhoneNumbers/US/TollFree.json", StringComparison.Ordinal));
        Assert.Empty(await Twilio.ContractViolationsAsync());
    }

    [Theory]
    [InlineData("?country=USA", "country")]
    [InlineData("?areaCode=41", "areaCode")]
    [InlineData("?country=GB&areaCode=415", "areaCode")]
    [InlineData("?contains=55-5", "contains")]
    [InlineData("?type=shared", "type")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=51", "limit")]
    public async Task Search_validation_names_the_parameter(string query, string field)
    {
        var workspace = await api.NewWorkspaceAsync();
        var problem = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Get, "/api/telephony/twilio/available-numbers" + query, workspace.MemberToken), 400);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Theory]
    [InlineData(401, 20003, 502, "601")]
    [InlineData(503, 20500, 503, "602")]
    [InlineData(400, 21452, 422, "603")]
    public async Task Twilio_errors_become_problem_details_with_Twilios_code_never_a_500(int twilioStatus, int twilioCode, int expected, string areaCode)
    {
        var workspace = await api.NewWorkspaceAsync();
        // Enough failures to outlast the retries of a safe request; each case has its own area code.
        for (var i = 0; i < 4; i++)
        {
            Twilio.Inject(r => r.IsSearch && r.Query.GetValueOrDefault("AreaCode") == areaCode, new TwilioFault.Status(twilioStatus, "Injected", TwilioCode: twilioCode));
        }

        var response = await api.SendAsync(HttpMethod.Get, $"/api/telephony/twilio/available-numbers?areaCode={areaCode}", workspace.MemberToken);
        var problem = await ProvisioningFixture.JsonAsync(response, expected);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(twilioCode, (int)problem["twilioCode"]!);
        Assert.Equal(twilioStatus, (int)problem["twilioStatus"]!);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_every_endpoint()
    {
        var document = await ProvisioningFixture.JsonAsync(await api.Http.GetAsync("/openapi/v1.json"), 200);
        var paths = document["paths"]!.AsObject();

        foreach (var path in new[]
        {
            "/api/telephony/twilio/available-numbers", "/api/telephony/twilio/purchase-number", "/api/aloha/configure-webhooks",
            "/api/telephony/phone-numbers", "/api/telephony/phone-numbers/{id}",
        })
        {
            Assert.True(paths.ContainsKey(path), $"{path} is missing from the OpenAPI document");
        }
        Assert.NotNull(paths["/api/telephony/twilio/purchase-number"]!["post"]!["requestBody"]);
        Assert.Contains("Idempotency-Key", (string?)document["info"]!["description"]);
        var search = paths["/api/telephony/twilio/available-numbers"]!["get"]!["responses"]!;
        Assert.NotNull(search["503"]!["content"]!["application/problem+json"]);
        foreach (var (path, operations) in paths)
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                foreach (var status in new[] { "401", "403", "429" })
                {
                    Assert.True(operation!["responses"]![status]?["content"]?["application/problem+json"] is not null, $"{method} {path}: {status} not documented as Problem Details");
                }
            }
        }
    }

    private static List<Guid> Ids(JsonNode list) => [.. list["items"]!.AsArray().Select(n => Guid.Parse((string)n!["id"]!))];
}
