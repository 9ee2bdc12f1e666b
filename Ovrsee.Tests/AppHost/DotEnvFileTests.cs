using Ovrsee.AppHost;

namespace Ovrsee.Tests.AppHost;

public class DotEnvFileTests
{
    [Fact]
    public void Reads_the_forms_a_seed_env_file_uses()
    {
        var values = DotEnvFile.Parse(
        [
            "# Twilio",
            "",
            "TWILIO_ACCOUNT_SID=AC123",
            "export TWILIO_AUTH_TOKEN = 'lit#eral $x' ",
            "TWILIO_API_KEY=\"SK\\\"quoted\\\"\\nnext\" # why",
            "TWILIO_API_SECRET=plain value # trailing comment",
            "NEXT_PUBLIC_APP_URL=https://x.example/#fragment",
            "Twilio__BaseUrl=http://127.0.0.1:9",
            "not an assignment",
            "EMPTY=",
        ]);

        Assert.Equal("AC123", values["TWILIO_ACCOUNT_SID"]);
        Assert.Equal("lit#eral $x", values["TWILIO_AUTH_TOKEN"]);
        Assert.Equal("SK\"quoted\"\nnext", values["TWILIO_API_KEY"]);
        Assert.Equal("plain value", values["TWILIO_API_SECRET"]);
        Assert.Equal("https://x.example/#fragment", values["NEXT_PUBLIC_APP_URL"]);
        Assert.Equal("http://127.0.0.1:9", values["Twilio:BaseUrl"]);
        Assert.Equal("", values["EMPTY"]);
        Assert.Equal(7, values.Count);
    }

    [Fact]
    public void A_missing_file_is_no_settings() => Assert.Empty(DotEnvFile.Read("/nonexistent/.env"));
}
