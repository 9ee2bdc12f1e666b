using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>
/// The process dies after Twilio bought the number and before the row was written: the retry
/// with the same Idempotency-Key finds the number on the account and records it once.
/// </summary>
[Trait("Category", "Slow")]
public class PurchaseCrashTests(PurchaseCrashTests.Fixture api) : IClassFixture<PurchaseCrashTests.Fixture>
{
    public sealed class Fixture : ProvisioningFixture
    {
        // The reconciler stays out of the way: this is about the retry's own recovery.
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Provisioning__ReconcileAfter"] = "01:00:00" };
    }

    [Fact]
    public async Task A_crash_between_Twilios_purchase_and_our_insert_is_recovered_by_the_retry_without_buying_again()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var key = Guid.NewGuid().ToString();
        // Twilio buys, then the answer never comes back...
        api.Twilio.InjectOnCreate(number, new TwilioFault.Hang(After: true));

        var inFlight = api.PurchaseAsync(workspace.OwnerToken, number, key);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (api.Twilio.Find(number) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "Twilio never saw the purchase");
            await Task.Delay(20);
        }
        // ...because the service dies while waiting for it.
        await api.Service.KillAsync();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => inFlight);

        // Bought but unrecorded: what the intent record exists for.
        Assert.Equal("pending", await Seed.ScalarAsync<string>(api.Admin, "SELECT state FROM number_purchases WHERE idempotency_key = $1", key));
        Assert.Equal(0, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM user_phone_numbers WHERE phone_number = $1", number));

        await api.StartServiceAsync();
        var body = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number, key), 201);

        Assert.Equal(1, api.Twilio.CreatesFor(number));
        Assert.Equal(1, api.Twilio.PurchasesOf(number));
        Assert.Equal(api.Twilio.Find(number)!.Sid, (string?)body["phoneNumber"]!["twilioPhoneSid"]);
        Assert.Equal(1, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM user_phone_numbers WHERE phone_number = $1 AND is_active", number));
        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT state FROM number_purchases WHERE idempotency_key = $1", key));
        // The retry looked before it would have bought.
        Assert.Contains(api.Twilio.For(number), r => r.IsList);
        Assert.Empty(await api.Twilio.ContractViolationsAsync());
    }
}
