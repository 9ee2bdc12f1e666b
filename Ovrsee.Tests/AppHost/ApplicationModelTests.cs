using Ovrsee.Hosting.Application;
using Ovrsee.Hosting.Services;

namespace Ovrsee.Tests.AppHost;

/// <summary>The graph's rules, with stand-in resources: who starts when, who stops first, what a failure does.</summary>
public class ApplicationModelTests
{
    private sealed class StandIn(string name, List<string> journal, Func<Task>? start = null) : Resource(name, "stand-in")
    {
        protected override async Task StartAsync(CancellationToken cancellationToken)
        {
            lock (journal) journal.Add($"start {Name}");
            await (start?.Invoke() ?? Task.CompletedTask);
        }

        protected override Task StopAsync()
        {
            lock (journal) journal.Add($"stop {Name}");
            return Task.CompletedTask;
        }

        public void Crash(int exitCode) => MarkFailed($"{Name} exited with code {exitCode}", exitCode);
    }

    [Fact]
    public async Task Resources_start_after_what_they_wait_for_and_stop_before_it()
    {
        var journal = new List<string>();
        var builder = new OvrseeApplicationBuilder();
        var database = builder.Add(new StandIn("database", journal));
        var api = builder.Add(new StandIn("api", journal)).WaitFor(database);
        builder.Add(new StandIn("worker", journal)).WaitFor(api);

        await using (var app = builder.Build())
        {
            await app.StartAsync();
            Assert.All(app.Resources, r => Assert.Equal("healthy", r.Status));
        }

        Assert.Equal(["start database", "start api", "start worker", "stop worker", "stop api", "stop database"], journal);
    }

    [Fact]
    public async Task A_resource_that_fails_to_start_fails_the_start_and_what_waits_for_it_never_starts()
    {
        var journal = new List<string>();
        var builder = new OvrseeApplicationBuilder();
        var database = builder.Add(new StandIn("database", journal, () => throw new InvalidOperationException("disk full\nmore detail")));
        var api = builder.Add(new StandIn("api", journal)).WaitFor(database);
        await using var app = builder.Build();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Equal("disk full\nmore detail", failure.Message);
        Assert.Equal(ResourceState.Failed, database.State);
        Assert.Equal("disk full", database.Error);
        Assert.Equal(ResourceState.Waiting, api.State);
        Assert.DoesNotContain("start api", journal);
    }

    [Fact]
    public async Task A_crash_after_start_shows_as_failed_with_its_exit_code_and_stays_failed_through_the_stop()
    {
        var builder = new OvrseeApplicationBuilder();
        var api = builder.Add(new StandIn("api", []));
        var app = builder.Build();
        var seen = new List<string>();
        app.ResourceChanged += r => seen.Add(r.Status);
        await app.StartAsync();

        api.Crash(137);
        await app.StopAsync();

        Assert.Equal(ResourceState.Failed, api.State);
        Assert.Equal(137, api.ExitCode);
        Assert.Contains("[apphost] api exited with code 137", api.Console.Tail(5));
        Assert.Equal(["starting", "healthy", "failed"], seen.Distinct());
    }

    [Fact]
    public void Projects_get_Aspire_s_environment_contract_and_the_dashboard_s_OTLP_settings()
    {
        var builder = new OvrseeApplicationBuilder();
        var api = builder.AddProject("webhookapi", ServiceProject.WebhookApi, port: 5999);
        var worker = builder.AddProject("provisioning", ServiceProject.Provisioning, port: 0)
            .WithReference(api)
            .WithEnvironment("Twilio__AuthToken", "t")
            .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "250");
        builder.WithOtlpExporter(new Uri("http://127.0.0.1:18888"), "key");
        builder.Build();

        var environment = worker.ResolveEnvironment();

        Assert.Equal("http://127.0.0.1:5999", environment["services__webhookapi__http__0"]);
        Assert.Equal("http://127.0.0.1:18888", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("x-otlp-api-key=key", environment["OTEL_EXPORTER_OTLP_HEADERS"]);
        Assert.Equal("250", environment["OTEL_BSP_SCHEDULE_DELAY"]); // the project's own setting wins
        Assert.Equal("t", environment["Twilio__AuthToken"]);
        Assert.NotEqual(0, worker.HttpEndpoint.Port);
    }

    [Fact]
    public void The_graph_is_checked_when_built()
    {
        var builder = new OvrseeApplicationBuilder();
        var a = builder.Add(new StandIn("a", []));
        var b = builder.Add(new StandIn("b", [])).WaitFor(a);
        a.WaitFor(b);

        Assert.Contains("waits for itself", Assert.Throws<InvalidOperationException>(builder.Build).Message);
        Assert.Contains("already declared", Assert.Throws<InvalidOperationException>(() => builder.Add(new StandIn("a", []))).Message);
        Assert.Contains("'b' waits for 'a'", Assert.Throws<InvalidOperationException>(() => builder.Remove("a")).Message);
    }
}
