using System.Net;
using Ovrsee.Hosting;
using Ovrsee.Hosting.Postgres;
using Ovrsee.Hosting.Services;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Foundation;

/// <summary>Runs the real WebhookApi process against a PostgreSQL of its own, then takes that database away.</summary>
[Trait("Category", "Slow")]
public class HealthTests
{
    [Fact]
    public async Task Health_follows_the_database_while_alive_stays_up()
    {
        await using var postgres = await LocalPostgresServer.StartAsync(new LocalPostgresOptions
        {
            RootDirectory = TestPostgres.NewRootDirectory("health"), Ephemeral = true,
        });
        await postgres.PrepareDatabaseAsync("ovrsee");
        var endpoint = new Uri($"http://127.0.0.1:{LoopbackPort.Free()}/");
        await using var service = new ServiceProcess(ServiceProject.WebhookApi, endpoint, TestServiceEnvironment.For(postgres.ServiceConnectionString("ovrsee")));
        service.Start();
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        await postgres.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PollUntilAsync(client, "/health", HttpStatusCode.ServiceUnavailable));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);

        await postgres.RestartAsync();
        Assert.Equal(HttpStatusCode.OK, await PollUntilAsync(client, "/health", HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    private static async Task<HttpStatusCode> PollUntilAsync(HttpClient client, string path, HttpStatusCode wanted)
    {
        var last = default(HttpStatusCode);
        for (var i = 0; i < 60; i++)
        {
            last = (await client.GetAsync(path)).StatusCode;
            if (last == wanted)
            {
                break;
            }
            await Task.Delay(250);
        }
        return last;
    }
}
