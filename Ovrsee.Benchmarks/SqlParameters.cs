using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using Ovrsee.Data;
using Ovrsee.WebhookApi.Webhooks;

namespace Ovrsee.Benchmarks;

/// <summary>
/// What naming a statement's parameters costs on the hot path, for the webhook's biggest statement
/// (CallbackRecorder's incoming-call CTE, 17 parameters), three ways on one connection with
/// auto-prepare on (as the service runs):
/// <list type="bullet">
/// <item>positional: <c>$1…$17</c> and unnamed parameters, sent as is (what the service does);</item>
/// <item>Npgsql named: <c>@name</c> and named parameters, which Npgsql parses and rewrites to
/// <c>$n</c> on every execution;</item>
/// <item><see cref="NamedSql"/>: <c>@name</c> turned into <c>$n</c> once, parameters bound by name,
/// then sent as positional.</item>
/// </list>
/// Prints µs per command: building the command alone (no database), and executing it against a
/// throwaway PostgreSQL (wall and this process's CPU), in interleaved rounds so that the machine's
/// noise falls on every variant alike.
/// </summary>
public static partial class SqlParameters
{
    // The values below, by the statement's names (as CallbackRecorder.CallParameters binds them).
    private static readonly string[] ValueNames =
    [
        "number", "call_sid", "account_sid", "from_number", "to_number", "direction", "status", "sequence_number",
        "occurred_at", "duration_seconds", "kind", "reject_unknown", "dedupe_key", "payload", "routed_data", "routed_timeline", "routed_at",
    ];

    // The statement's names in position order ($1 is Names[0]), set from the service's statement.
    private static string[] Names = [];

    private sealed record Variant(string Name, string Sql, Func<NpgsqlCommand, string, NpgsqlCommand> Bind);

    public static async Task<int> RunAsync(int executions, int rounds)
    {
        // The service's own statement, read from its build so that the figures follow it (a
        // private constant: renamed, this fails here rather than measuring a stale copy).
        // Since #21 the statement is written with names (a NamedSql): its Source is what Npgsql's own
        // named parameters take, its Text the positional statement the service sends.
        var helper = typeof(CallbackRecorder).GetField("RecordCallSql", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as NamedSql
            ?? throw new InvalidOperationException("CallbackRecorder.RecordCallSql (a NamedSql) not found: update the sql-parameters benchmark.");
        var named = helper.Source;
        var positional = helper.Text;
        Names = [.. helper.Names];
        if (Names.Except(ValueNames).FirstOrDefault() is { } unknown)
        {
            throw new InvalidOperationException($"RecordCallSql has @{unknown}, which this benchmark gives no value: update it.");
        }
        // The positional statement is the named one with each name put back.
        if (PositionalParameter().Replace(positional, m => "@" + Names[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1]) != named)
        {
            throw new InvalidOperationException("NamedSql did not turn the named statement into an equivalent positional one.");
        }

        Variant[] variants =
        [
            new("positional $n", positional, (command, sid) => { AddPositional(command.Parameters, sid); return command; }),
            new("Npgsql named @name", named, (command, sid) => { AddNamed(command.Parameters, sid); return command; }),
            new("NamedSql @name -> $n", helper.Text, (command, sid) => { BindHelper(helper, sid).AddTo(command.Parameters); return command; }),
        ];

        Console.WriteLine($"Statement: CallbackRecorder's incoming-call CTE, {positional.Length} characters, {Names.Length} parameters.");
        Console.WriteLine();
        // The client's work that differs between the variants: building the command, and for named
        // parameters Npgsql's parse and rewrite, which ExecuteReader runs on every execution (its
        // internal SqlQueryParser, called here the way the command calls it).
        var parse = NpgsqlParse();
        Console.WriteLine("The client's work that differs (no database): building the command, plus Npgsql's parse for named; µs per command:");
        foreach (var variant in variants)
        {
            BuildOnly(variant, parse, 20_000);
        }
        for (var round = 0; round < 5; round++)
        {
            Console.WriteLine($"  round {round + 1}: " + string.Join(", ", variants.Select(v => $"{v.Name} {BuildOnly(v, parse, 100_000):0.00}")));
        }

        await using var postgres = await ThrowawayPostgres.StartAsync(BenchmarkStack.FreePort());
        await postgres.CreateOvrseeDatabaseAsync("ovrsee");
        var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString("ovrsee")) { MaxAutoPrepare = 32 }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // The statement's writes are what they are in every variant; the commit's flush is not what is measured.
        await using (var setup = new NpgsqlCommand("SET synchronous_commit = off", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        Console.WriteLine();
        Console.WriteLine($"Executing it against PostgreSQL, {executions} commands per variant per round, µs per command (wall / this process's CPU):");
        foreach (var variant in variants)
        {
            await ExecuteAsync(connection, variant, 500);
        }
        const int Block = 100;
        var totals = variants.ToDictionary(v => v.Name, _ => (Wall: 0.0, Cpu: 0.0));
        for (var round = 1; round <= rounds; round++)
        {
            // Small blocks in turn: the shared machine's noise falls on every variant alike.
            var sums = variants.ToDictionary(v => v.Name, _ => (Wall: 0.0, Cpu: 0.0));
            for (var done = 0; done < executions; done += Block)
            {
                foreach (var variant in variants)
                {
                    var (wall, cpu) = await ExecuteAsync(connection, variant, Block);
                    sums[variant.Name] = (sums[variant.Name].Wall + wall, sums[variant.Name].Cpu + cpu);
                }
            }
            var blocks = (executions + Block - 1) / Block;
            foreach (var variant in variants)
            {
                totals[variant.Name] = (totals[variant.Name].Wall + sums[variant.Name].Wall / blocks, totals[variant.Name].Cpu + sums[variant.Name].Cpu / blocks);
            }
            Console.WriteLine($"  round {round}: " + string.Join(", ", variants.Select(v => $"{v.Name} {sums[v.Name].Wall / blocks:0.0} / {sums[v.Name].Cpu / blocks:0.0}")));
        }
        Console.WriteLine("  mean:    " + string.Join(", ", variants.Select(v => $"{v.Name} {totals[v.Name].Wall / rounds:0.0} / {totals[v.Name].Cpu / rounds:0.0}")));
        return 0;
    }

    private static double BuildOnly(Variant variant, Action<NpgsqlCommand> parse, int count)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            using var command = variant.Bind(new NpgsqlCommand(variant.Sql), "CA0");
            if (command.Parameters.Count > 0 && command.Parameters[0].ParameterName.Length > 0)
            {
                parse(command);
            }
        }
        return watch.Elapsed.TotalMicroseconds / count;
    }

    /// <summary>Npgsql's SqlQueryParser.ParseRawQuery(command, standardConformingStrings: true, deriveParameters: false), by reflection.</summary>
    private static Action<NpgsqlCommand> NpgsqlParse()
    {
        var type = typeof(NpgsqlCommand).Assembly.GetTypes().SingleOrDefault(t => t.Name == "SqlQueryParser")
            ?? throw new InvalidOperationException("Npgsql has no SqlQueryParser any more: update the sql-parameters benchmark.");
        var method = type.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .SingleOrDefault(m => m.Name == "ParseRawQuery" && m.GetParameters() is [{ } first, { ParameterType.Name: "Boolean" }, { ParameterType.Name: "Boolean" }]
                && first.ParameterType == typeof(NpgsqlCommand))
            ?? throw new InvalidOperationException("SqlQueryParser.ParseRawQuery(NpgsqlCommand, bool, bool) not found: " + string.Join("; ",
                type.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic).Where(m => m.Name == "ParseRawQuery").Select(m => m.ToString())));
        var parser = Activator.CreateInstance(type, nonPublic: true);
        var call = (Action<NpgsqlCommand, bool, bool>)Delegate.CreateDelegate(typeof(Action<NpgsqlCommand, bool, bool>), parser, method);
        return command => call(command, true, false);
    }

    private static async Task<(double Wall, double Cpu)> ExecuteAsync(NpgsqlConnection connection, Variant variant, int count)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await using var command = variant.Bind(new NpgsqlCommand(variant.Sql, connection), "CA" + Guid.NewGuid().ToString("N"));
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
            }
        }
        var wall = watch.Elapsed.TotalMicroseconds / count;
        return (wall, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / count);
    }

    // A call to a number nobody has (the statement still writes the call and its timeline entry), with
    // no route; in the statement's position order.
    private static (object? Value, NpgsqlDbType Type)[] Values(string callSid)
    {
        var values = ValuesByName(callSid);
        return [.. Names.Select(name => values[Array.IndexOf(ValueNames, name)])];
    }

    // Since #15's set-based statement every value is an array, here of one call.
    private static (object? Value, NpgsqlDbType Type)[] ValuesByName(string callSid) =>
    [
        One("+15005550006", NpgsqlDbType.Text), One(callSid, NpgsqlDbType.Text), One("AC00000000000000000000000000000000", NpgsqlDbType.Text),
        One("+14155550100", NpgsqlDbType.Text), One("+15005550006", NpgsqlDbType.Text), One("inbound", NpgsqlDbType.Text),
        One("ringing", NpgsqlDbType.Text), One<int?>(null, NpgsqlDbType.Integer), One(DateTime.UtcNow, NpgsqlDbType.TimestampTz), One<int?>(null, NpgsqlDbType.Integer),
        One("incoming-call", NpgsqlDbType.Text), One(true, NpgsqlDbType.Boolean), One("incoming-call", NpgsqlDbType.Text),
        One("""{"CallSid":"x","CallStatus":"ringing"}""", NpgsqlDbType.Jsonb),
        One<string?>(null, NpgsqlDbType.Jsonb), One<string?>(null, NpgsqlDbType.Jsonb), One<DateTime?>(null, NpgsqlDbType.TimestampTz),
    ];

    private static (object? Value, NpgsqlDbType Type) One<T>(T value, NpgsqlDbType type) => (new[] { value }, NpgsqlDbType.Array | type);

    private static void AddPositional(NpgsqlParameterCollection parameters, string callSid)
    {
        foreach (var (value, type) in Values(callSid))
        {
            parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });
        }
    }

    private static void AddNamed(NpgsqlParameterCollection parameters, string callSid)
    {
        var values = Values(callSid);
        for (var i = 0; i < values.Length; i++)
        {
            parameters.Add(new NpgsqlParameter(Names[i], values[i].Type) { Value = values[i].Value ?? DBNull.Value });
        }
    }

    private static NamedSql.Parameters BindHelper(NamedSql sql, string callSid)
    {
        var values = Values(callSid);
        var parameters = sql.Bind();
        for (var i = 0; i < values.Length; i++)
        {
            parameters.Set(Names[i], values[i].Value, values[i].Type);
        }
        return parameters;
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex PositionalParameter();
}
