using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>
/// The double's Messages API: a create (POST …/Messages.json) queues a message, the list
/// (GET …/Messages.json, To/From filters, newest first) shows what was created, whatever the
/// client heard back — which is what a lost answer looks like in Twilio.
/// </summary>
public sealed partial class TwilioDouble
{
    private readonly ConcurrentQueue<DoubleMessage> _messages = new();

    /// <summary>Messages Twilio accepted (a fault injected after acting still leaves the message here).</summary>
    public IReadOnlyList<DoubleMessage> Messages => [.. _messages];

    public int MessageCreates => Requests.Count(r => r.Method == "POST" && MessagesPath().IsMatch(r.Path));

    private (int Status, string? Body)? ActOnMessages(RecordedRequest request)
    {
        if (!MessagesPath().IsMatch(request.Path))
        {
            return null;
        }
        if (request.Method == "POST")
        {
            var to = request.Form.GetValueOrDefault("To");
            if (to is null || !to.StartsWith('+'))
            {
                return (400, TwilioError(21211, $"The 'To' number {to} is not a valid phone number.", 400));
            }
            var message = new DoubleMessage("SM" + Guid.NewGuid().ToString("N"), to, request.Form.GetValueOrDefault("From") ?? "", request.Form.GetValueOrDefault("Body") ?? "", DateTimeOffset.UtcNow);
            _messages.Enqueue(message);
            return (201, JsonSerializer.Serialize(MessageResource(message)));
        }
        if (request.Method == "GET")
        {
            var to = request.Query.GetValueOrDefault("To");
            var from = request.Query.GetValueOrDefault("From");
            var matches = _messages
                .Where(m => (to is null || m.To == to) && (from is null || m.From == from))
                .OrderByDescending(m => m.Created)
                .Select(MessageResource);
            return (200, PageOf("messages", matches, request));
        }
        return null;
    }

    private object MessageResource(DoubleMessage message) => new Dictionary<string, object?>
    {
        ["sid"] = message.Sid,
        ["account_sid"] = AccountSid,
        ["to"] = message.To,
        ["from"] = message.From,
        ["body"] = message.Body,
        ["status"] = "queued",
        ["direction"] = "outbound-api",
        ["num_segments"] = "1",
        ["num_media"] = "0",
        ["date_created"] = Rfc2822(message.Created),
        ["date_updated"] = Rfc2822(message.Created),
        ["date_sent"] = null,
        ["api_version"] = "2010-04-01",
        ["uri"] = $"/2010-04-01/Accounts/{AccountSid}/Messages/{message.Sid}.json",
    };

    [GeneratedRegex(@"^/2010-04-01/Accounts/AC[0-9a-fA-F]{32}/Messages\.json$")]
    private static partial Regex MessagesPath();
}

public sealed record DoubleMessage(string Sid, string To, string From, string Body, DateTimeOffset Created);
