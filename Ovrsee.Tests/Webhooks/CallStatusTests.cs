using System.Net;
using Npgsql;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Webhooks;

[Trait("Category", "Slow")]
public class CallStatusTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private const string From = "+14155550100";
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static List<Dictionary<string, string>> Lifecycle(string callSid, string to) =>
    [
        TwilioForms.Status(callSid, From, to, "initiated", 0, T0),
        TwilioForms.Status(callSid, From, to, "ringing", 1, T0.AddSeconds(1)),
        TwilioForms.Status(callSid, From, to, "in-progress", 2, T0.AddSeconds(4)),
        TwilioForms.Status(callSid, From, to, "completed", 3, T0.AddSeconds(46), duration: 42),
    ];

    private static IEnumerable<int[]> Permutations(int[] items) => items.Length <= 1
        ? [items]
        : items.SelectMany((item, i) => Permutations([.. items[..i], .. items[(i + 1)..]]).Select(rest => (int[])[item, .. rest]));

    private async Task<string> FinalStateAsync(string callSid)
    {
        await using var connection = new NpgsqlConnection(api.Admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.workspace_id::text, c.status, c.status_sequence, c.started_at, c.answered_at, c.ended_at, c.duration_seconds, c.from_number, c.to_number,
                   (SELECT string_agg(e.kind || '/' || coalesce(e.status, '') || '/' || coalesce(e.sequence_number, -1) || '/' || e.occurred_at, ' | '
                                      ORDER BY e.occurred_at, e.sequence_number, e.kind)
                    FROM call_events e WHERE e.call_log_id = c.id)
            FROM call_logs c WHERE c.call_sid = $1
            """, connection) { Parameters = { new() { Value = callSid } } };
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no call log for {callSid}");
        return string.Join(" ; ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Every_order_of_the_callbacks_with_duplicates_gives_the_same_call_log_and_timeline()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var to = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, to);
        var random = new Random(20261125);

        var states = new List<string>();
        foreach (var order in Permutations([0, 1, 2, 3]))
        {
            var callSid = Seed.NewCallSid();
            var callbacks = Lifecycle(callSid, to);
            // Twilio redelivers: each permutation also repeats one or two callbacks somewhere.
            var sends = order.ToList();
            for (var d = 0; d < 1 + random.Next(2); d++)
            {
                sends.Insert(random.Next(sends.Count + 1), order[random.Next(order.Length)]);
            }
            foreach (var index in sends)
            {
                var response = await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", callbacks[index], idempotencyToken: $"{callSid}-{index}");
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            }
            states.Add((await FinalStateAsync(callSid)).Replace(callSid, "CALL"));
        }

        Assert.Equal(24, states.Count);
        Assert.Single(states.Distinct());
        var state = states[0];
        Assert.StartsWith($"{workspace} ; completed ; 3 ; ", state);
        Assert.Contains(" ; 42 ; ", state);
        Assert.Equal(4, state.Split(" | ").Length);
    }

    [Fact]
    public async Task A_late_earlier_status_never_overwrites_a_terminal_one()
    {
        var callSid = Seed.NewCallSid();
        var to = "+14155550177";
        var callbacks = Lifecycle(callSid, to);

        await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", callbacks[3]);
        await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", callbacks[1]);

        Assert.Equal("completed", await Seed.ScalarAsync<string>(api.Admin, "SELECT status FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Equal(2L, await Seed.ScalarAsync<long>(api.Admin, "SELECT count(*) FROM call_events WHERE call_sid = $1", callSid));
    }

    [Fact]
    public async Task A_status_for_a_call_we_never_saw_creates_the_call_log_from_its_own_fields()
    {
        var workspace = await Seed.WorkspaceAsync(api.Admin);
        var to = "+1415" + Random.Shared.Next(1000000, 9999999);
        await Seed.PhoneNumberAsync(api.Admin, workspace, to);
        var callSid = Seed.NewCallSid();

        var response = await api.Twilio.PostAsync("/api/aloha/webhooks/call-status", TwilioForms.Status(callSid, From, to, "completed", 3, T0.AddSeconds(30), duration: 25));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(workspace, await Seed.ScalarAsync<Guid>(api.Admin, "SELECT workspace_id FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Equal(25, await Seed.ScalarAsync<int>(api.Admin, "SELECT duration_seconds FROM call_logs WHERE call_sid = $1", callSid));
        Assert.Equal(From, await Seed.ScalarAsync<string>(api.Admin, "SELECT from_number FROM call_logs WHERE call_sid = $1", callSid));
    }
}
