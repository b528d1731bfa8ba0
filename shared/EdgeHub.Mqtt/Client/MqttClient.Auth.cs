using EdgeHub.Mqtt.Client;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;

namespace EdgeHub.Mqtt;

/// <summary>Re-authentication (MQTT 5 §4.12.1) on a live connection with <see cref="MqttClientOptions.Authentication"/>.</summary>
public sealed partial class MqttClient
{
    private IMqttClientAuthExchange? _reauth;
    private TaskCompletionSource? _reauthDone;

    /// <summary>
    /// Runs the enhanced authentication exchange again on the current connection (AUTH Re-authenticate … AUTH Success);
    /// completes once the broker accepted it and proved itself, throws <see cref="MqttException"/> when it refused
    /// (the broker then closes the connection) or the connection ended.
    /// </summary>
    public async Task ReauthenticateAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var authenticator = Options.Authentication ?? throw new InvalidOperationException("re-authentication needs MqttClientOptions.Authentication");
        var connection = _connection;
        if (connection is null || connection.IsClosed)
        {
            throw new InvalidOperationException("the client is not connected");
        }
        var exchange = authenticator.Begin();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sync)
        {
            if (_reauthDone is { Task.IsCompleted: false })
            {
                throw new InvalidOperationException("a re-authentication is already running");
            }
            _reauth = exchange;
            _reauthDone = done;
        }
        connection.Enqueue(new MqttAuthPacket { ReasonCode = MqttReasonCode.ReAuthenticate, AuthenticationMethod = authenticator.Method, AuthenticationData = exchange.InitialData() });
        var finished = await Task.WhenAny(done.Task, connection.Completion).WaitAsync(ct).ConfigureAwait(false);
        if (finished != done.Task)
        {
            var error = _lastDisconnectError;
            done.TrySetException(new MqttException($"the connection ended during re-authentication{(error is null ? "" : ": " + error.Message)}",
                error is MqttException m ? m.ReasonCode : MqttReasonCode.UnspecifiedError));
        }
        await done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// A DISCONNECT ends a running re-authentication with the broker's reason (e.g. 0x87 Not authorized), decided here on the
    /// read loop: the connection's end is observed by other continuations that reset the last disconnect reason.
    /// </summary>
    private void FailReauthentication(MqttException reason)
    {
        TaskCompletionSource? done;
        lock (_sync)
        {
            done = _reauthDone;
        }
        done?.TrySetException(new MqttException($"re-authentication refused: {reason.Message}", reason.ReasonCode));
    }

    /// <summary>AUTH from the broker on a live connection: the next challenge, or the end of a re-authentication.</summary>
    private void OnReauthPacket(ClientConnection connection, MqttAuthPacket auth)
    {
        IMqttClientAuthExchange? exchange;
        TaskCompletionSource? done;
        lock (_sync)
        {
            exchange = _reauth;
            done = _reauthDone;
        }
        if (exchange is null || done is null || auth.AuthenticationMethod != Options.Authentication?.Method)
        {
            throw new MqttProtocolException($"protocol error: AUTH {auth.ReasonCode} from the broker without a re-authentication in progress", MqttReasonCode.ProtocolError);
        }
        try
        {
            switch (auth.ReasonCode)
            {
                case MqttReasonCode.ContinueAuthentication:
                    connection.Enqueue(new MqttAuthPacket
                    {
                        ReasonCode = MqttReasonCode.ContinueAuthentication, AuthenticationMethod = auth.AuthenticationMethod, AuthenticationData = exchange.Respond(auth.AuthenticationData ?? []),
                    });
                    return;
                case MqttReasonCode.Success:
                    exchange.Complete(auth.AuthenticationData ?? []);
                    done.TrySetResult();
                    break;
                default:
                    throw new MqttProtocolException($"protocol error: AUTH {auth.ReasonCode} during re-authentication", MqttReasonCode.ProtocolError);
            }
        }
        catch (MqttException ex)
        {
            done.TrySetException(ex);
            if (ex is MqttProtocolException)
            {
                throw;
            }
            // The broker could not prove the credential: do not keep talking to it.
            connection.Close();
        }
        lock (_sync)
        {
            _reauth = null;
        }
    }
}
