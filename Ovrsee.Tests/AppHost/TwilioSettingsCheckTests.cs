extern alias apphost;

using DotNetEnv.Configuration;
using Microsoft.Extensions.Configuration;
using apphost::Ovrsee.AppHost;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.AppHost;

public class TwilioSettingsCheckTests
{
    [Fact]
    public void Says_which_are_missing_where_the_others_came_from_and_what_still_works()
    {
        var state = TestPostgres.NewRootDirectory("twilio-check");
        File.WriteAllText(Path.Combine(state, ".env"), "# the seed's names work\nTWILIO_ACCOUNT_SID=AC123\n");
        var configuration = new ConfigurationBuilder()
            .AddDotNetEnv(Path.Combine(state, ".env"), DotNetEnv.LoadOptions.NoEnvVars())
            .AddCommandLine(["--Twilio:ApiKey=SK1"])
            .Build();
        var output = new StringWriter();

        var devToken = TwilioSettingsCheck.Report(configuration, state, output);

        var text = output.ToString();
        Assert.Contains("Twilio settings missing: TWILIO_AUTH_TOKEN, TWILIO_API_SECRET; found TWILIO_ACCOUNT_SID (.env), TWILIO_API_KEY (command line)", text);
        Assert.Contains("real Twilio webhooks are refused (403", text);
        Assert.Contains("Still works:", text);
        Assert.DoesNotContain("Provisioning cannot search", text);
        Assert.StartsWith("dev-", devToken);
        Assert.Equal(devToken, TwilioSettingsCheck.Report(configuration, state, TextWriter.Null)); // the same token every run
        Directory.Delete(state, recursive: true);
    }

    [Fact]
    public void With_everything_set_it_is_one_line_and_no_dev_token()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = "AC1", ["Twilio:AuthToken"] = "secret-token-value", ["TWILIO_API_KEY"] = "SK1", ["TWILIO_API_SECRET"] = "s",
        }).Build();
        var output = new StringWriter();

        Assert.Null(TwilioSettingsCheck.Report(configuration, "/nonexistent", output));
        Assert.Single(output.ToString().TrimEnd().Split('\n'));
        Assert.DoesNotContain("secret-token-value", output.ToString()); // names and sources only, never values
    }
}
