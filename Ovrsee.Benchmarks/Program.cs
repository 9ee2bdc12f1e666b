using System.Globalization;
using BenchmarkDotNet.Running;
using Ovrsee.Benchmarks;

// dotnet run -c Release --project Ovrsee.Benchmarks -- compare [--runs 3] [--seconds 10] [--connections 32] [--mix-seconds 15] [--warmup-seconds 20] [--variants ours,per-request]
//     [--pg-stats] (pg_stat_statements, WAL, MultiXact and wait events per target; OVRSEE_BENCH_PG_STATS=1 does the same)
//     [--sql ours-b=experiment.sql ...] (run as superuser in the service's database before that variant's target, every run)
//     --variants base,ours with OVRSEE_BENCH_BASE_DLL=<another build's Ovrsee.WebhookApi.dll>: before and after in one invocation
// dotnet run -c Release --project Ovrsee.Benchmarks -- signature
// dotnet run -c Release --project Ovrsee.Benchmarks -- signature-vs-sdk
if (args is ["signature-vs-sdk", ..])
{
    BenchmarkRunner.Run<SignatureValidatorComparison>(args: args[1..]);
    return 0;
}
// dotnet run -c Release --project Ovrsee.Benchmarks -- recordings [--megabytes 10]
if (args is ["recordings", ..])
{
    return await RecordingMemory.RunAsync(int.Parse(args.SkipWhile(a => a != "--megabytes").Skip(1).FirstOrDefault() ?? "10", CultureInfo.InvariantCulture));
}
// dotnet run -c Release --project Ovrsee.Benchmarks -- sse-idle [--clients 500] [--events 5] [--idle-seconds 20]
if (args is ["sse-idle", ..])
{
    string? SseOption(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    var clients = int.Parse(SseOption("--clients") ?? "500", CultureInfo.InvariantCulture);
    var events = int.Parse(SseOption("--events") ?? "5", CultureInfo.InvariantCulture);
    var idleSeconds = int.Parse(SseOption("--idle-seconds") ?? "20", CultureInfo.InvariantCulture);
    if (clients is < 1 or > 10_000 || events is < 1 or > 100 || idleSeconds is < 0 or > 600)
    {
        Console.Error.WriteLine("Out of range: clients 1-10000, events 1-100, idle-seconds 0-600");
        return 2;
    }
    return await SseIdle.RunAsync(clients, events, idleSeconds);
}
// dotnet run -c Release --project Ovrsee.Benchmarks -- sql-parameters [--executions 5000] [--rounds 5]
if (args is ["sql-parameters", ..])
{
    string? SqlOption(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    var executions = int.Parse(SqlOption("--executions") ?? "5000", CultureInfo.InvariantCulture);
    var sqlRounds = int.Parse(SqlOption("--rounds") ?? "5", CultureInfo.InvariantCulture);
    if (executions is < 100 or > 1_000_000 || sqlRounds is < 1 or > 50)
    {
        Console.Error.WriteLine("Out of range: executions 100-1000000, rounds 1-50");
        return 2;
    }
    return await SqlParameters.RunAsync(executions, sqlRounds);
}

// dotnet run -c Release --project Ovrsee.Benchmarks -- replay [--calls 20000] [--batch 8] [--writers 1] [--rounds 3] [--prefill 200000]
//     [--no-checkpoint] [--statements] [--variant NAME=FILE.sql ...] (each variant a database of its own; `current` = the migrations as they are)
if (args is ["replay", ..])
{
    string? ReplayOption(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    var calls = int.Parse(ReplayOption("--calls") ?? "20000", CultureInfo.InvariantCulture);
    var batch = int.Parse(ReplayOption("--batch") ?? "8", CultureInfo.InvariantCulture);
    var writers = int.Parse(ReplayOption("--writers") ?? "1", CultureInfo.InvariantCulture);
    var rounds = int.Parse(ReplayOption("--rounds") ?? "3", CultureInfo.InvariantCulture);
    var prefill = int.Parse(ReplayOption("--prefill") ?? "200000", CultureInfo.InvariantCulture);
    var replayVariants = new List<StatementReplay.Variant> { new("current", null) };
    replayVariants.AddRange(args.Select((a, i) => (a, i)).Where(x => x.a == "--variant" && x.i + 1 < args.Length)
        .Select(x => args[x.i + 1].Split('=', 2)).Select(kv => new StatementReplay.Variant(kv[0], File.ReadAllText(kv[1]))));
    if (calls is < 1 or > 1_000_000 || batch is < 1 or > 1000 || writers is < 1 or > 16 || rounds is < 1 or > 20 || prefill is < 0 or > 5_000_000
        || replayVariants.Count > 6 || replayVariants.Any(v => !System.Text.RegularExpressions.Regex.IsMatch(v.Name, "^[a-z][a-z0-9-]{0,30}$"))
        || replayVariants.Select(v => v.Name).Distinct().Count() != replayVariants.Count)
    {
        Console.Error.WriteLine("Out of range: calls 1-1000000, batch 1-1000, writers 1-16, rounds 1-20, prefill 0-5000000, at most 5 variants named [a-z][a-z0-9-]*, none called current");
        return 2;
    }
    return await StatementReplay.RunAsync(replayVariants, calls, batch, writers, rounds, prefill, !args.Contains("--no-checkpoint"), args.Contains("--statements"));
}
if (args is ["signature", ..])
{
    BenchmarkRunner.Run<SignatureBenchmarks>(args: args[1..]);
    return 0;
}
if (args is not ["compare", ..])
{
    Console.Error.WriteLine($"Usage: replay [--calls N] [--batch N] [--writers N] [--rounds N] [--prefill N] [--variant NAME=FILE.sql] | compare [--runs N] [--seconds N] [--connections N] [--mix-seconds N] [--warmup-seconds N] [--generator wrk|dotnet] [--timeline] [--variants {string.Join(',', OurVariants.Known.Keys)}] | signature | recordings [--megabytes N] | sse-idle [--clients N] [--events N] [--idle-seconds N] | sql-parameters [--executions N] [--rounds N]");
    return 2;
}

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var runs = int.Parse(Option("--runs") ?? "3", CultureInfo.InvariantCulture);
var seconds = int.Parse(Option("--seconds") ?? "10", CultureInfo.InvariantCulture);
var connections = int.Parse(Option("--connections") ?? "32", CultureInfo.InvariantCulture);
var mixSeconds = int.Parse(Option("--mix-seconds") ?? "15", CultureInfo.InvariantCulture);
// Tiered compilation keeps the JIT busy for 10-20 s of load after start-up (the first 20 s measured
// after a 3 s warm-up had a quarter of the service's CPU samples in libclrjit): warm up past that.
var warmupSeconds = int.Parse(Option("--warmup-seconds") ?? "20", CultureInfo.InvariantCulture);
var variants = (Option("--variants") ?? "ours,per-request").Split(',', StringSplitOptions.RemoveEmptyEntries);
// The HTTP load's generator: wrk (the default where installed) or this process's HttpClient.
var generator = Option("--generator") ?? SignedRequestLoad.DefaultGenerator;
// With wrk: every measured target's responses per 250 ms, to see a ramp or a stall inside a run.
var timeline = args.Contains("--timeline");
var pgStats = args.Contains("--pg-stats") || Environment.GetEnvironmentVariable("OVRSEE_BENCH_PG_STATS") is "1" or "true";
// Schema experiments: SQL applied before one variant's target (each run), e.g. dropping an index for
// `ours-b` and putting it back for `ours`, so both are measured in the same invocation.
var targetSql = args.Select((a, i) => (a, i)).Where(x => x.a == "--sql" && x.i + 1 < args.Length)
    .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => File.ReadAllText(kv[1]));
if (runs is < 1 or > 20 || seconds is < 1 or > 120 || connections is < 1 or > 256 || mixSeconds is < 0 or > 300 || warmupSeconds is < 1 or > 120
    || generator is not ("wrk" or "dotnet") || variants.FirstOrDefault(v => !OurVariants.Known.ContainsKey(v)) is { } unknown)
{
    Console.Error.WriteLine("Out of range: runs 1-20, seconds 1-120, connections 1-256, mix-seconds 0-300, warmup-seconds 1-120, generator wrk|dotnet, variants " + string.Join(',', OurVariants.Known.Keys));
    return 2;
}

var workDirectory = Directory.CreateTempSubdirectory("ovrsee-bench-").FullName;
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"Plan: a {warmupSeconds} s warm-up per target, {runs} run(s) of {seconds} s per target at {connections} connections, then the realistic mix for {mixSeconds} s. Work files: {workDirectory}");
Console.WriteLine(generator == "wrk"
    ? "Load generator: wrk (pgbench's client is C as well)"
    : "Load generator: this process's HttpClient (wrk not found or not chosen: on 2 cores it takes more CPU than the service it measures)");

var stack = await BenchmarkStack.StartAsync(variants, connections, workDirectory, pgStats);
try
{
    // Everything warms up (JIT, pools, prepared statements) before anything is measured.
    foreach (var target in stack.Targets)
    {
        await SignedRequestLoad.Prepare(target.BaseAddress, BenchmarkStack.AuthToken, BenchmarkStack.Number, "f0" + target.Key, warmupSeconds * 12_000)
            .RunAsync(generator, target.Name, connections, TimeSpan.FromSeconds(warmupSeconds), workDirectory);
    }

    for (var run = 1; run <= runs; run++)
    {
        Console.WriteLine();
        Console.WriteLine($"Run {run}/{runs}: unique pre-signed incoming-call requests, {connections} connections, {seconds} s each; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var rows = new List<(LoadFigures Load, ResourceFigures Resources, long Stored)>();
        // Our variants take turns going first (the first target of a run pays for the fresh
        // cluster's and the machine's state more than the others); the seed stack stays last.
        var ours = stack.Targets.Where(t => t.Key != "ff").ToList();
        var order = ours.Skip((run - 1) % ours.Count).Concat(ours.Take((run - 1) % ours.Count)).Concat(stack.Targets.Where(t => t.Key == "ff"));
        foreach (var target in order)
        {
            var prefix = $"{run:x2}{target.Key}";
            var load = SignedRequestLoad.Prepare(target.BaseAddress, BenchmarkStack.AuthToken, BenchmarkStack.Number, prefix, seconds * 12_000);
            var variant = variants.ElementAtOrDefault(Convert.ToInt32(target.Key, 16));
            if (variant is not null && targetSql.TryGetValue(variant, out var sql))
            {
                Console.WriteLine($"Before {target.Name}: applying the SQL given for {variant}");
                await stack.Postgres.ExecuteAsync(BenchmarkStack.OvrseeDatabase, sql);
            }
            // Every target starts right after a checkpoint, so each pays the full-page images that
            // follow one (before, whichever target a WAL-triggered checkpoint fell in paid them:
            // the first-target penalty).
            await stack.Postgres.ExecuteAsync("postgres", "CHECKPOINT");
            await using var statements = pgStats ? await PgStatements.StartAsync(stack.Postgres, BenchmarkStack.OvrseeDatabase) : null;
            await using var meter = new ResourceMeter(target.Pid, stack.Postgres.PostmasterPid, target.Diagnostics);
            var figures = await load.RunAsync(generator, target.Name, connections, TimeSpan.FromSeconds(seconds), workDirectory, timeline);
            rows.Add((figures, await meter.StopAsync(), await target.CountStoredAsync(prefix)));
            if (statements is not null)
            {
                await statements.PrintAsync(target.Name, figures.Requests);
            }
        }
        await stack.Postgres.ExecuteAsync("postgres", "CHECKPOINT");
        await using (var meter = new ResourceMeter(Environment.ProcessId, stack.Postgres.PostmasterPid, null))
        {
            var figures = await PgBenchCeiling.RunAsync(stack.Postgres, BenchmarkStack.PeerDatabase, connections, TimeSpan.FromSeconds(seconds), workDirectory);
            rows.Add((figures, (await meter.StopAsync()) with { ServerCpuSeconds = double.NaN, PeakRssBytes = 0 }, figures.Requests));
        }
        Report.PrintSideBySide(rows);
    }

    if (mixSeconds > 0)
    {
        await RealisticMix.RunAsync(stack, stack.Targets[0], connections, TimeSpan.FromSeconds(mixSeconds));
    }
    return 0;
}
catch (Exception e)
{
    // Printed before the stack is stopped: an error while stopping it must not hide this one.
    Console.Error.WriteLine($"The benchmark failed: {e}");
    throw;
}
finally
{
    await stack.DisposeAsync();
    try { Directory.Delete(workDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}
