using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// The bridge to a workspace's external Aloha agent over WebSocket (workspaces.agent_stream_url),
/// speaking the protocol in <see cref="AgentOutbound"/>/<see cref="AgentInbound"/>. Connections
/// go through one SocketsHttpHandler whose connect callback enforces <see cref="AgentUrlPolicy"/>
/// on the address actually dialled.
/// </summary>
public sealed class ExternalVoiceAgent : IVoiceAgent, IDisposable
{
    public const string AgentName = "external";

    private readonly AgentUrlPolicy _policy;
    private readonly AlohaStreamOptions _options;
    private readonly ILogger<ExternalVoiceAgent> _logger;
    private readonly HttpMessageInvoker _invoker;

    public ExternalVoiceAgent(AgentUrlPolicy policy, IOptions<AlohaStreamOptions> options, ILogger<ExternalVoiceAgent> logger)
    {
        _policy = policy;
        _options = options.Value;
        _logger = logger;
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = policy.ConnectAsync,
            ConnectTimeout = _options.AgentConnectTimeout,
            // Neither follows redirects nor uses an environment proxy: both would dial somewhere
            // the policy did not approve.
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
        });
    }

    public string Name => AgentName;

    public async Task<IVoiceAgentSession> ConnectAsync(AgentCall call, CancellationToken cancellationToken)
    {
        var uri = _policy.Check(call.AgentStreamUrl, out var refusal)
            ?? throw new VoiceAgentUnavailableException(refusal, $"The agent URL of workspace {call.WorkspaceId} is not allowed ({refusal}).");

        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.AgentConnectTimeout);
        try
        {
            await socket.ConnectAsync(uri, _invoker, timeout.Token);
            return new Session(socket, call, _options, _logger);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            if (Find<VoiceAgentUnavailableException>(ex) is { } refused)
            {
                throw refused;
            }
            var reason = timeout.IsCancellationRequested ? "connect-timeout" : "connect-failed";
            throw new VoiceAgentUnavailableException(reason, $"Could not connect to the agent of workspace {call.WorkspaceId} ({reason}).", ex);
        }
    }

    public void Dispose() => _invoker.Dispose();

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }
        return null;
    }

    private sealed class Session(ClientWebSocket socket, AgentCall call, AlohaStreamOptions options, ILogger logger) : IVoiceAgentSession
    {
        // One send at a time on a WebSocket; the audio and signal pumps share it.
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        // Completed when the caller presses 0 on a number that allows a transfer: the key is ours, not the agent's.
        private readonly TaskCompletionSource _callerWantsPerson = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _handled;

        public async Task<AgentResult> RunAsync(CallerStream caller, IAgentOutput output, CancellationToken cancellationToken)
        {
            var startBuffer = new ArrayBufferWriter<byte>(512);
            AgentOutbound.WriteStart(startBuffer, call);
            try
            {
                await SendAsync(startBuffer.WrittenMemory, cancellationToken, cancellationToken);
            }
            catch (Exception ex) when (IsConnectionFault(ex) && !cancellationToken.IsCancellationRequested)
            {
                return new AgentResult(AgentEnding.Failed, "agent-send-failed");
            }

            // The pumps stop on their own token: cancelling a pending WebSocket send or receive
            // aborts the socket, and we want to end with a proper close frame when we can.
            using var pumpStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var receive = ReceiveAsync(output, cancellationToken);
            var audio = PumpAudioAsync(caller, pumpStop.Token, cancellationToken);
            var signals = PumpSignalsAsync(caller, pumpStop.Token, cancellationToken);

            AgentResult result;
            var first = await Task.WhenAny(receive, audio, _callerWantsPerson.Task);
            if (first == receive)
            {
                result = await receive;
            }
            else if (first == _callerWantsPerson.Task)
            {
                result = new AgentResult(AgentEnding.Transfer, CallTransfer.CallerPressedZero);
            }
            else if (!audio.IsCompletedSuccessfully)
            {
                result = cancellationToken.IsCancellationRequested
                    ? new AgentResult(AgentEnding.CallerGone, "cancelled")
                    : new AgentResult(AgentEnding.Failed, "agent-send-failed");
            }
            else
            {
                // Twilio ended the stream and every buffered frame has gone to the agent: tell it.
                await TaskDeadline.CompletesWithinAsync(signals, options.CloseTimeout);
                await SendStopQuietlyAsync("stream-stopped");
                result = new AgentResult(AgentEnding.CallerGone, "stop");
            }
            if (result.Ending == AgentEnding.Transfer)
            {
                // The agent's part is over whoever asked: it hears why before the close frame.
                await SendStopQuietlyAsync(CallTransfer.StopReason);
            }

            await pumpStop.CancelAsync();
            if (!await TaskDeadline.CompletesWithinAsync(Task.WhenAll(audio, signals), options.CloseTimeout))
            {
                socket.Abort(); // a send is stuck on an agent that stopped reading
            }
            await WebSocketMessageReader.CloseOutputQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "stream ended", options.CloseTimeout);
            if (!await TaskDeadline.CompletesWithinAsync(receive, options.CloseTimeout))
            {
                socket.Abort();
                await TaskDeadline.CompletesWithinAsync(receive, options.CloseTimeout);
            }
            return result;
        }


        private async Task PumpAudioAsync(CallerStream caller, CancellationToken stop, CancellationToken sendToken)
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            await foreach (var frame in caller.ReadAudioAsync(stop))
            {
                buffer.ResetWrittenCount();
                AgentOutbound.WriteAudio(buffer, frame);
                await SendAsync(buffer.WrittenMemory, stop, sendToken);
            }
        }

        private async Task SendStopQuietlyAsync(string reason)
        {
            var stopBuffer = new ArrayBufferWriter<byte>(64);
            AgentOutbound.WriteStop(stopBuffer, reason);
            try
            {
                using var timeout = new CancellationTokenSource(options.CloseTimeout);
                await SendAsync(stopBuffer.WrittenMemory, timeout.Token, timeout.Token);
            }
            catch (Exception ex) when (IsConnectionFault(ex))
            {
            }
        }

        private async Task PumpSignalsAsync(CallerStream caller, CancellationToken stop, CancellationToken sendToken)
        {
            var buffer = new ArrayBufferWriter<byte>(128);
            await foreach (var signal in caller.ReadSignalsAsync(stop))
            {
                if (call.TransferOnDtmfZero && signal is CallerSignal.Dtmf { Digit: CallTransfer.TransferDigit })
                {
                    _callerWantsPerson.TrySetResult();
                    continue;
                }
                buffer.ResetWrittenCount();
                AgentOutbound.WriteSignal(buffer, signal);
                await SendAsync(buffer.WrittenMemory, stop, sendToken);
            }
        }

        private async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken waitToken, CancellationToken sendToken)
        {
            await _sendLock.WaitAsync(waitToken);
            try
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, sendToken);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        private async Task<AgentResult> ReceiveAsync(IAgentOutput output, CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(options.MaxAgentMessageBytes);
            try
            {
                while (true)
                {
                    var message = await WebSocketMessageReader.ReadAsync(socket, buffer, options.MaxAgentMessageBytes, cancellationToken);
                    if (message.Type == WebSocketMessageType.Close)
                    {
                        return Closed("agent-closed");
                    }
                    if (message.TooLarge)
                    {
                        logger.LogWarning("Agent for {CallSid} sent a message over {Max} bytes; treating it as failed", call.CallSid, options.MaxAgentMessageBytes);
                        return Closed("agent-message-too-large");
                    }
                    if (message.Type != WebSocketMessageType.Text || AgentInbound.Parse(buffer.AsSpan(0, message.Length)) is not { } inbound)
                    {
                        continue; // not part of the protocol: ignored, as unknown types are
                    }

                    switch (inbound.Type)
                    {
                        case AgentInbound.Audio when inbound.Payload is { Length: > 0 } payload:
                            byte[] audio;
                            try
                            {
                                audio = Convert.FromBase64String(payload);
                            }
                            catch (FormatException)
                            {
                                continue;
                            }
                            await output.PlayAsync(audio, cancellationToken);
                            break;
                        case AgentInbound.Mark when !string.IsNullOrEmpty(inbound.Name):
                            await output.MarkAsync(inbound.Name, cancellationToken);
                            break;
                        case AgentInbound.Clear:
                            await output.ClearAsync(cancellationToken);
                            break;
                        case AgentInbound.Handled:
                            await output.MarkHandledAsync(cancellationToken);
                            _handled = true;
                            break;
                        case AgentInbound.Hangup:
                            await output.MarkHandledAsync(cancellationToken);
                            _handled = true;
                            return new AgentResult(AgentEnding.Hangup, "agent-hangup");
                        case AgentInbound.Voicemail:
                            return new AgentResult(AgentEnding.Voicemail, "agent-voicemail");
                        case AgentInbound.Transfer:
                            // Nothing after it is read: a second transfer cannot redirect the call again.
                            return new AgentResult(AgentEnding.Transfer, CallTransfer.AgentAsked);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new AgentResult(AgentEnding.CallerGone, "cancelled");
            }
            catch (Exception ex) when (IsConnectionFault(ex))
            {
                logger.LogWarning("Agent connection for {CallSid} lost: {Error}", call.CallSid, ex.Message);
                return Closed("agent-connection-lost");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>An agent that goes away after saying it handled the call has hung up; otherwise it failed.</summary>
        private AgentResult Closed(string reason) =>
            _handled ? new AgentResult(AgentEnding.Hangup, reason) : new AgentResult(AgentEnding.Failed, reason);

        private static bool IsConnectionFault(Exception ex) =>
            ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException;

        public async ValueTask DisposeAsync()
        {
            await WebSocketMessageReader.CloseOutputQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "stream ended", options.CloseTimeout);
            socket.Dispose();
            _sendLock.Dispose();
        }
    }
}
