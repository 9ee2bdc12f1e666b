using System.Net;
using System.Text.Json.Nodes;
using Ovrsee.Provisioning.WebhookConfiguration;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>POST /api/telephony/twilio/purchase-number against the real Provisioning process, a faulty Twilio and PostgreSQL.</summary>
[Trait("Category", "Slow")]
public class PurchaseNumberTests(ProvisioningFixture api) : IClassFixture<ProvisioningFixture>
{
    private TwilioDouble Twilio => api.Twilio;

    private Task<long?> RowsFor(string phoneNumber) =>
        Seed.ScalarAsync<long?>(api.Admin, "SELECT count(*) FROM user_phone_numbers WHERE phone_number = $1", phoneNumber);

    [Fact]
    public async Task Buys_the_number_points_it_at_the_webhooks_and_records_it_in_the_workspace()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();

        var response = await api.PurchaseAsync(workspace.OwnerToken, number, friendlyName: "Front desk");
        var body = await ProvisioningFixture.JsonAsync(response, 201);

        var phone = body["phoneNumber"]!;
        Assert.Equal(number, (string?)phone["phoneNumber"]);
        Assert.Equal("Front desk", (string?)phone["friendlyName"]);
        Assert.True((bool)phone["isActive"]!);
        Assert.NotNull((string?)phone["webhooksConfiguredAt"]);
        Assert.Equal($"/api/telephony/phone-numbers/{phone["id"]}", response.Headers.Location?.ToString());

        // In Twilio: bought once, calls and final statuses to the WebhookApi's public URL, by POST.
        var owned = Twilio.Find(number)!;
        Assert.Equal(owned.Sid, (string?)phone["twilioPhoneSid"]);
        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/incoming-call{WebhookTargets.IncomingCallOverrides}", owned.VoiceUrl);
        Assert.Equal("POST", owned.VoiceMethod);
        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/call-status{WebhookTargets.CallStatusOverrides}", owned.StatusCallback);
        Assert.Equal("POST", owned.StatusCallbackMethod);
        var create = Assert.Single(Twilio.For(number), r => r.IsCreate);
        Assert.DoesNotContain("StatusCallbackEvent", create.Form.Keys);
        Assert.Empty(await Twilio.ContractViolationsAsync());

        Assert.Equal(workspace.Id, await Seed.ScalarAsync<Guid>(api.Admin, "SELECT workspace_id FROM user_phone_numbers WHERE phone_number = $1 AND is_active", number));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT state FROM number_purchases WHERE phone_number = $1", number));

        // The reachability check ran through the public URL and says why it failed.
        var check = body["webhooks"]!["publicUrlCheck"]!;
        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/health", (string?)check["url"]);
        Assert.False((bool)check["reachable"]!);
        Assert.Contains("did not answer", (string?)check["detail"]);
    }

    [Fact]
    public async Task A_timeout_then_success_buys_exactly_one_number_and_records_one_row()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        Twilio.InjectOnCreate(number, new TwilioFault.Hang());

        await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, Guid.NewGuid().ToString()), 201);

        // The first create hung before Twilio acted; the second, sent after looking, bought it.
        Assert.Equal(2, Twilio.CreatesFor(number));
        Assert.Equal(1, Twilio.PurchasesOf(number));
        Assert.Single(Twilio.Numbers, n => n.PhoneNumber == number);
        Assert.Equal(1, await RowsFor(number));
        Assert.Empty(await Twilio.ContractViolationsAsync());
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_and_buys_exactly_once()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        Twilio.InjectOnCreate(number, new TwilioFault.Status(429, "Too Many Requests", RetryAfterSeconds: 1, TwilioCode: 20429));

        await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, Guid.NewGuid().ToString()), 201);

        // Twilio refused the first create before acting (a rate limit), so sending it again is safe.
        var creates = Twilio.For(number).Where(r => r.IsCreate).ToList();
        Assert.Equal(2, creates.Count);
        Assert.True(creates[1].At - creates[0].At >= TimeSpan.FromMilliseconds(950), "Retry-After: 1 was not waited out");
        Assert.Equal(1, Twilio.PurchasesOf(number));
        Assert.Equal(1, await RowsFor(number));
    }

    [Fact]
    public async Task A_5xx_after_Twilio_bought_the_number_is_one_row_no_error_and_no_second_purchase()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        Twilio.InjectOnCreate(number, new TwilioFault.Status(500, "Internal Server Error", After: true));

        var body = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number), 201);

        Assert.Equal(1, Twilio.CreatesFor(number));
        Assert.Equal(1, Twilio.PurchasesOf(number));
        Assert.Equal(Twilio.Find(number)!.Sid, (string?)body["phoneNumber"]!["twilioPhoneSid"]);
        Assert.Equal(1, await RowsFor(number));
    }

    [Fact]
    public async Task The_same_Idempotency_Key_twice_buys_once_and_answers_the_same()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var key = Guid.NewGuid().ToString();

        var first = await api.PurchaseAsync(workspace.OwnerToken, number, key);
        var second = await api.PurchaseAsync(workspace.OwnerToken, number, key);

        var firstBody = await ProvisioningFixture.JsonAsync(first, 201);
        var secondBody = await ProvisioningFixture.JsonAsync(second, 201);
        Assert.True(JsonNode.DeepEquals(firstBody, secondBody), $"{firstBody}\n≠\n{secondBody}");
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.False(first.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(1, Twilio.CreatesFor(number));
        Assert.Equal(1, Twilio.PurchasesOf(number));
        Assert.Equal(1, await RowsFor(number));
    }

    [Fact]
    public async Task Concurrent_requests_with_the_same_key_buy_once()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var key = Guid.NewGuid().ToString();
        Twilio.InjectOnCreate(number, new TwilioFault.Slow(TimeSpan.FromMilliseconds(500)));

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => api.PurchaseAsync(workspace.OwnerToken, number, key)));

        // The first buys; the others see it in progress (409, retry) or, if they came late, its answer.
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        var bodies = await Task.WhenAll(created.Select(r => r.Content.ReadAsStringAsync()));
        Assert.All(bodies, b => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(bodies[0]), JsonNode.Parse(b))));
        Assert.Equal(1, Twilio.CreatesFor(number));
        Assert.Equal(1, await RowsFor(number));

        // A retry after the 409s gets the purchase's answer.
        await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, key), 201);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_buys_nothing_more()
    {
        var workspace = await api.NewWorkspaceAsync();
        var key = Guid.NewGuid().ToString();
        var number = ProvisioningFixture.NewNumber();
        var other = ProvisioningFixture.NewNumber();
        await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, key), 201);

        var problem = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, other, key), 422);

        Assert.Contains("Idempotency-Key", (string?)problem["title"]);
        Assert.Equal(0, Twilio.CreatesFor(other));
    }

    [Fact]
    public async Task A_number_someone_else_took_is_409_with_Twilios_code_and_the_key_keeps_that_answer()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var key = Guid.NewGuid().ToString();
        Twilio.MakeUnavailable(number);

        var response = await api.PurchaseAsync(workspace.OwnerToken, number, key);
        var problem = await ProvisioningFixture.JsonAsync(response, 409);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(21422, (int)problem["twilioCode"]!);
        Assert.Equal(400, (int)problem["twilioStatus"]!);
        Assert.Equal(0, await RowsFor(number));

        var again = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, key), 409);
        Assert.True(JsonNode.DeepEquals(problem, again));
        Assert.Equal(1, Twilio.CreatesFor(number));
    }

    [Fact]
    public async Task A_number_already_active_in_the_workspace_is_409_without_asking_Twilio()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        await Seed.PhoneNumberAsync(api.Admin, workspace.Id, number);

        var problem = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number), 409);

        Assert.Equal("Already yours", (string?)problem["title"]);
        Assert.Empty(Twilio.For(number));
    }

    [Fact]
    public async Task Twilio_down_leaves_the_purchase_open_and_a_retry_with_the_key_finishes_it()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var key = Guid.NewGuid().ToString();
        for (var i = 0; i < 3; i++)
        {
            Twilio.InjectOnCreate(number, new TwilioFault.Status(503, "Service Unavailable"));
        }

        var response = await api.PurchaseAsync(workspace.OwnerToken, number, key);
        var problem = await ProvisioningFixture.JsonAsync(response, 503);
        Assert.Contains("same Idempotency-Key", (string?)problem["detail"]);
        Assert.NotNull(response.Headers.RetryAfter);

        await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, key), 201);
        Assert.Single(Twilio.Numbers, n => n.PhoneNumber == number);
        Assert.Equal(1, await RowsFor(number));
    }

    public static TheoryData<string, string?, string> InvalidRequests => new()
    {
        { "{}", null, "phoneNumber" },
        { """{"phoneNumber":"4155550100"}""", null, "phoneNumber" },
        { """{"phoneNumber":14155550100}""", null, "phoneNumber" },
        { """{"phoneNumber":"+14155550100","friendlyName":"0123456789012345678901234567890123456789012345678901234567890123456789"}""", null, "friendlyName" },
        { """{"phone":"+14155550100"}""", null, "phone" },
        { """["+14155550100"]""", null, "body" },
        { "not json", null, "body" },
        { """{"phoneNumber":"+14155550100"}""", new string('k', 256), "Idempotency-Key" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_input_is_400_naming_the_field(string body, string? idempotencyKey, string field)
    {
        var workspace = await api.NewWorkspaceAsync();
        var before = Twilio.Requests.Count;

        var problem = await ProvisioningFixture.JsonAsync(
            await api.SendAsync(HttpMethod.Post, "/api/telephony/twilio/purchase-number", workspace.OwnerToken, body, idempotencyKey), 400);

        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, Twilio.Requests.Count);
    }

    [Fact]
    public async Task The_reconciler_records_a_number_bought_before_a_crash_and_forgets_one_never_bought()
    {
        var workspace = await api.NewWorkspaceAsync();
        var bought = ProvisioningFixture.NewNumber();
        var notBought = ProvisioningFixture.NewNumber();
        var owned = Twilio.Own(bought, voiceUrl: $"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/incoming-call");
        // What a crash between Twilio's "bought" and our INSERT leaves: a pending intent, nothing recorded.
        foreach (var number in new[] { bought, notBought })
        {
            await Seed.ExecuteAsync(api.Admin, """
                INSERT INTO number_purchases (workspace_id, user_id, idempotency_key, request_hash, phone_number, updated_at)
                VALUES ($1, $2, $3, 'hash', $4, now() - interval '1 hour')
                """, workspace.Id, workspace.OwnerId, Guid.NewGuid().ToString(), number);
        }

        await WaitUntilAsync(async () => await Seed.ScalarAsync<long>(api.Admin,
            "SELECT count(*) FROM number_purchases WHERE phone_number = ANY($1) AND state = 'pending'", (object)new[] { bought, notBought }) == 0);

        Assert.Equal(owned.Sid, await Seed.ScalarAsync<string>(api.Admin,
            "SELECT twilio_phone_sid FROM user_phone_numbers WHERE phone_number = $1 AND workspace_id = $2 AND is_active", bought, workspace.Id));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT state FROM number_purchases WHERE phone_number = $1", bought));
        Assert.Equal(0, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM number_purchases WHERE phone_number = $1", notBought));
        Assert.Equal(0, await RowsFor(notBought));
        // The webhooks the lost create had set were kept; the status callback was set by the reconciler.
        Assert.Equal($"{ProvisioningFixture.PublicBaseUrl}/api/aloha/webhooks/call-status{WebhookTargets.CallStatusOverrides}", Twilio.Find(bought)!.StatusCallback);
        Assert.Equal(0, Twilio.CreatesFor(bought) + Twilio.CreatesFor(notBought));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(100);
        }
    }
}
