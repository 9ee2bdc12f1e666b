using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Provisioning;

/// <summary>PATCH phone-numbers' voicemailSmsTo: who gets a text when someone leaves a voicemail (#19).</summary>
[Trait("Category", "Slow")]
public class VoicemailSmsSettingTests(ProvisioningFixture api) : IClassFixture<ProvisioningFixture>
{
    [Fact]
    public async Task An_owner_turns_the_text_on_and_off_and_the_list_shows_it()
    {
        var workspace = await api.NewWorkspaceAsync();
        var id = await Seed.PhoneNumberAsync(api.Admin, workspace.Id, ProvisioningFixture.NewNumber());

        var on = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken,
            new { voicemailSmsTo = " +14155559876 " }), 200);
        Assert.Equal("+14155559876", (string?)on["voicemailSmsTo"]);
        Assert.Equal("+14155559876", await Seed.ScalarAsync<string>(api.Admin, "SELECT voicemail_sms_to FROM user_phone_numbers WHERE id = $1", id));
        var list = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Get, "/api/telephony/phone-numbers", workspace.MemberToken), 200);
        Assert.Equal("+14155559876", (string?)list["items"]![0]!["voicemailSmsTo"]);

        // Another field alone leaves it as it was; null turns it off.
        await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken, new { friendlyName = "Front desk" }), 200);
        Assert.Equal("+14155559876", await Seed.ScalarAsync<string>(api.Admin, "SELECT voicemail_sms_to FROM user_phone_numbers WHERE id = $1", id));
        var off = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken, """{"voicemailSmsTo":null}"""), 200);
        Assert.Null((string?)off["voicemailSmsTo"]);
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT voicemail_sms_to FROM user_phone_numbers WHERE id = $1", id));
    }

    [Theory]
    [InlineData("""{"voicemailSmsTo":"415-555-9876"}""")]
    [InlineData("""{"voicemailSmsTo":""}""")]
    [InlineData("""{"voicemailSmsTo":14155559876}""")]
    [InlineData("SELF")]
    public async Task A_bad_phone_gets_400_naming_the_field_and_changes_nothing(string body)
    {
        var workspace = await api.NewWorkspaceAsync();
        var number = ProvisioningFixture.NewNumber();
        var id = await Seed.PhoneNumberAsync(api.Admin, workspace.Id, number);

        var problem = await ProvisioningFixture.JsonAsync(await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.OwnerToken,
            body == "SELF" ? $$"""{"voicemailSmsTo":"{{number}}"}""" : body), 400);

        Assert.NotNull(problem["errors"]!["voicemailSmsTo"]);
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT voicemail_sms_to FROM user_phone_numbers WHERE id = $1", id));
    }

    [Fact]
    public async Task A_member_cannot_set_it()
    {
        var workspace = await api.NewWorkspaceAsync();
        var id = await Seed.PhoneNumberAsync(api.Admin, workspace.Id, ProvisioningFixture.NewNumber());

        var response = await api.SendAsync(HttpMethod.Patch, $"/api/telephony/phone-numbers/{id}", workspace.MemberToken, new { voicemailSmsTo = "+14155559876" });

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Null(await Seed.ScalarAsync<string>(api.Admin, "SELECT voicemail_sms_to FROM user_phone_numbers WHERE id = $1", id));
    }
}
