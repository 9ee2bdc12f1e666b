using System.Net;
using Ovrsee.Simulator;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Streaming;

/// <summary>The simulator's Media Streams client with the test environment's Auth Token and account.</summary>
public static class TestMediaStream
{
    public static string Sign(string streamUrl) => TwilioMediaStreamClient.Sign(TestServiceEnvironment.AuthToken, streamUrl);

    public static Task<TwilioMediaStreamClient> ConnectAsync(string streamUrl, bool echoMarks = true) =>
        TwilioMediaStreamClient.ConnectAsync(streamUrl, TestServiceEnvironment.AuthToken, TestServiceEnvironment.AccountSid, echoMarks);

    public static Task<(TwilioMediaStreamClient? Client, HttpStatusCode Status)> TryConnectAsync(string streamUrl, string? signature, bool echoMarks = true) =>
        TwilioMediaStreamClient.TryConnectAsync(streamUrl, signature, TestServiceEnvironment.AccountSid, echoMarks);
}
