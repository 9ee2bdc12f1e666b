using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>
/// While Provisioning waits on Twilio it holds its lock, but no transaction id. An id held that
/// long holds back the snapshot horizon of the whole cluster, and with it every tenant's live feed
/// and webhooks (the outbox readers wait for every older transaction to end): that is how a
/// reconciler retrying an unreachable Twilio once stalled the events of 200 calls.
/// </summary>
[Trait("Category", "Slow")]
public class TwilioWaitTests(ProvisioningFixture api) : IClassFixture<ProvisioningFixture>
{
    private static readonly TimeSpan TwilioDelay = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_purchase_waiting_on_Twilio_holds_its_lock_and_no_transaction_id()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        api.Twilio.InjectOnCreate(number, new TwilioFault.Slow(TwilioDelay));

        var purchase = api.PurchaseAsync(workspace.OwnerToken, number, Guid.NewGuid().ToString());
        await UntilAsync(() => api.Twilio.CreatesFor(number) == 1);

        await AssertWaitingWithoutTransactionIdAsync();
        await ProvisioningFixture.JsonAsync(await purchase, 201);
        Assert.Equal(1, api.Twilio.PurchasesOf(number));
    }

    [Fact]
    public async Task A_release_waiting_on_Twilio_holds_its_lock_and_no_transaction_id()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var bought = await ProvisioningFixture.JsonAsync(await api.PurchaseAsync(workspace.OwnerToken, number), 201);
        var id = (string)bought["phoneNumber"]!["id"]!;
        var sid = (string)bought["phoneNumber"]!["twilioPhoneSid"]!;
        api.Twilio.Inject(r => r.Method == "DELETE" && r.Path.Contains(sid, StringComparison.Ordinal), new TwilioFault.Slow(TwilioDelay));

        var release = api.SendAsync(HttpMethod.Delete, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken);
        await UntilAsync(() => api.Twilio.Requests.Any(r => r.Method == "DELETE" && r.Path.Contains(sid, StringComparison.Ordinal)));

        await AssertWaitingWithoutTransactionIdAsync();
        // A change to the number meanwhile waits for the release, as it did behind the row lock.
        var change = api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken, new { friendlyName = "Too late" });
        await ProvisioningFixture.JsonAsync(await release, 200);
        await ProvisioningFixture.JsonAsync(await change, 409);
        Assert.Null(api.Twilio.Find(number));
    }

    [Fact]
    public async Task The_reconciler_waiting_on_Twilio_holds_its_lock_and_no_transaction_id()
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        api.Twilio.Inject(r => r.IsList && r.Query.GetValueOrDefault("PhoneNumber") == number, new TwilioFault.Slow(TwilioDelay));
        // What a crash before Twilio answered leaves: a pending intent, untouched for an hour.
        await Seed.ExecuteAsync(api.Admin, """
            INSERT INTO number_purchases (workspace_id, user_id, idempotency_key, request_hash, phone_number, updated_at)
            VALUES ($1, $2, $3, 'hash', $4, now() - interval '1 hour')
            """, workspace.Id, workspace.OwnerId, Guid.NewGuid().ToString(), number);
        await UntilAsync(() => api.Twilio.For(number).Any(r => r.IsList));

        await AssertWaitingWithoutTransactionIdAsync();
        // Not on the account, so not bought: forgotten once Twilio has said so.
        await UntilAsync(async () => await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM number_purchases WHERE phone_number = $1", number) == 0);
    }

    /// <summary>Asked while Twilio still sits on the request (it answers after <see cref="TwilioDelay"/>).</summary>
    private async Task AssertWaitingWithoutTransactionIdAsync()
    {
        var locks = await Seed.ScalarAsync<long>(api.Admin, """
            SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
            """);
        var withIds = await Seed.ScalarAsync<long>(api.Admin, """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()
            """);
        Assert.True(locks >= 1, "the test looked after Provisioning had let go: Twilio answered too soon");
        Assert.Equal(0, withIds);
    }

    private static Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
