using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using EdgeHub.Mqtt.Client;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>Connection lifecycle: connect, resend after reconnect, supervise with backoff, disconnect.</summary>
public sealed partial class MqttClient
{
    private CancellationTokenSource _lifetime = new();
    private Task? _supervisor;
    private bool _ready;
    private volatile bool _userDisconnect;
    private bool _disposed;

    /// <summary>Connects; throws <see cref="MqttConnectException"/> (with the reason code) when refused or unreachable.</summary>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        if (IsConnected || _supervisor is { IsCompleted: false })
        {
            throw new InvalidOperationException("the client is already connected; call DisconnectAsync first");
        }
        _userDisconnect = false;
        if (_lifetime.IsCancellationRequested)
        {
            _lifetime.Dispose();
            _lifetime = new CancellationTokenSource();
        }
        EnsureDispatcher();
        var connection = await EstablishAsync(ct).ConfigureAwait(false);
        _supervisor = SuperviseAsync(connection);
    }

    private async Task<ClientConnection> EstablishAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Options.ConnectTimeout);
        Stream stream;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Options.Host, Options.Port, timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            ct.ThrowIfCancellationRequested();
            throw new MqttConnectException($"cannot reach MQTT broker {Options.Host}:{Options.Port}: {(ex is OperationCanceledException ? "timed out" : ex.Message)}", MqttReasonCode.ServerUnavailable);
        }
        if (Options.Tls is { } tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(tls.ToSslOptions(Options.Host), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                throw new MqttConnectException($"TLS handshake with {Options.Host}:{Options.Port} failed: {ex.Message}", ex);
            }
            stream = ssl;
        }
        var connection = new ClientConnection(stream, Options.ProtocolVersion, _logger);
        try
        {
            var connect = BuildConnect(out var auth);
            var answer = await connection.HandshakeAsync(connect, timeout.Token).ConfigureAwait(false);
            while (answer is MqttAuthPacket challenge)
            {
                // §4.12: AUTH (Continue authentication) rounds until CONNACK.
                if (auth is null || challenge.ReasonCode != MqttReasonCode.ContinueAuthentication || challenge.AuthenticationMethod != connect.AuthenticationMethod)
                {
                    throw new MqttConnectException($"broker sent AUTH {challenge.ReasonCode} ({challenge.AuthenticationMethod}) that does not continue our CONNECT", MqttReasonCode.ProtocolError);
                }
                var response = auth.Respond(challenge.AuthenticationData ?? []);
                answer = await connection.HandshakeAsync(new MqttAuthPacket
                {
                    ReasonCode = MqttReasonCode.ContinueAuthentication, AuthenticationMethod = connect.AuthenticationMethod, AuthenticationData = response,
                }, timeout.Token).ConfigureAwait(false);
            }
            var ack = answer switch
            {
                MqttConnAckPacket a => a,
                MqttDisconnectPacket d => throw new MqttConnectException($"broker answered CONNECT with DISCONNECT: {d.ReasonCode} {d.ReasonString}", d.ReasonCode),
                _ => throw new MqttConnectException($"broker answered CONNECT with {answer.Type}", MqttReasonCode.ProtocolError),
            };
            if (ack.ReasonCode >= MqttReasonCode.UnspecifiedError)
            {
                throw new MqttConnectException(
                    $"broker {Options.Host}:{Options.Port} refused the connection: {ack.ReasonCode}{(ack.ReasonString is null ? "" : " (" + ack.ReasonString + ")")}", ack.ReasonCode);
            }
            if (auth != null)
            {
                try
                {
                    auth.Complete(ack.AuthenticationData ?? []);
                }
                catch (MqttException ex)
                {
                    throw new MqttConnectException($"broker {Options.Host}:{Options.Port} failed {connect.AuthenticationMethod} authentication: {ex.Message}", ex.ReasonCode);
                }
            }
            OnConnected(connection, ack);
            return connection;
        }
        catch (Exception ex)
        {
            connection.Close();
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is MqttConnectException || ct.IsCancellationRequested)
            {
                throw;
            }
            throw new MqttConnectException($"connecting to {Options.Host}:{Options.Port} failed: {(ex is OperationCanceledException ? "no CONNACK within " + Options.ConnectTimeout : ex.Message)}", ex);
        }
    }

    private MqttConnectPacket BuildConnect(out IMqttClientAuthExchange? auth)
    {
        var persistent = Options.ProtocolVersion == MqttProtocolVersion.V500 ? Options.SessionExpiryInterval > 0 : !Options.CleanStart;
        auth = Options.ProtocolVersion == MqttProtocolVersion.V500 ? Options.Authentication?.Begin() : null;
        return new MqttConnectPacket
        {
            ProtocolVersion = Options.ProtocolVersion,
            ClientId = _clientId,
            // Reconnects resume a persistent session instead of wiping it.
            CleanStart = _everConnected ? !persistent : Options.CleanStart,
            KeepAlive = Options.KeepAliveSeconds,
            Username = Options.Username,
            Password = Options.Password is null ? null : Encoding.UTF8.GetBytes(Options.Password),
            Will = Options.Will,
            WillDelayInterval = Options.WillDelayInterval,
            SessionExpiryInterval = Options.SessionExpiryInterval,
            ReceiveMaximum = Options.ReceiveMaximum == 0 ? ushort.MaxValue : Options.ReceiveMaximum,
            MaximumPacketSize = Options.MaximumPacketSize,
            TopicAliasMaximum = Options.ProtocolVersion == MqttProtocolVersion.V500 ? Options.TopicAliasMaximum : (ushort)0,
            UserProperties = Options.UserProperties,
            AuthenticationMethod = auth is null ? null : Options.Authentication!.Method,
            AuthenticationData = auth?.InitialData(),
        };
    }

    private void OnConnected(ClientConnection connection, MqttConnAckPacket ack)
    {
        ConnAck = ack;
        SessionPresent = ack.SessionPresent;
        if (ack.AssignedClientIdentifier is { Length: > 0 } assigned)
        {
            _clientId = assigned;
        }
        connection.PeerMaximumPacketSize = ack.MaximumPacketSize;
        connection.Start(OnPacket, ack.ServerKeepAlive ?? Options.KeepAliveSeconds, _flow);
        PendingOperation? resubscribe = null;
        lock (_sync)
        {
            _inflightLimit = Options.ProtocolVersion == MqttProtocolVersion.V500 ? ack.ReceiveMaximum : ushort.MaxValue;
            if (!ack.SessionPresent)
            {
                _incomingQos2.Clear();
            }
            var pending = new List<PendingOperation>(_pending.Values);
            pending.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            if (_everConnected && !ack.SessionPresent && _subscriptions.Count > 0)
            {
                // A new session has none of our subscriptions: restore them first, ahead of what is resent or was queued
                // offline, or a message we publish to our own filters (a request whose answer we subscribe to) would be
                // routed before the subscription exists and never come back.
                resubscribe = Register(new MqttSubscribePacket { Subscriptions = [.. _subscriptions.Values] }, false, false); // not ready: waits in _pending
                connection.Enqueue(new ClientOutbound(resubscribe.Packet, resubscribe));
            }
            // §4.4: resend unacknowledged PUBLISH (DUP) and PUBREL in their original order, then (un)subscribes.
            foreach (var op in pending)
            {
                if (op.Packet is MqttPublishPacket p)
                {
                    if (op.AwaitingComp)
                    {
                        op.PubRelResent = true;
                        connection.Enqueue(new MqttPubRelPacket { PacketId = p.PacketId });
                        continue;
                    }
                    p.Dup = op.Sent;
                }
                connection.Enqueue(new ClientOutbound(op.Packet, op));
            }
            _connection = connection;
            _ready = true;
            while (_backlog.TryDequeue(out var op))
            {
                connection.Enqueue(new ClientOutbound(op.Packet, op));
            }
            DrainWindowLocked(); // the new receive maximum may be larger
        }
        if (resubscribe != null)
        {
            _ = ResubscribeAsync(resubscribe);
        }
        _everConnected = true;
        _logger.LogDebug("connected to {Host}:{Port} as {ClientId} (session present: {SessionPresent})", Options.Host, Options.Port, _clientId, ack.SessionPresent);
        try
        {
            Connected?.Invoke(this);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "Connected handler failed");
        }
    }

    private async Task ResubscribeAsync(PendingOperation op)
    {
        try
        {
            await op.Task.ConfigureAwait(false);
            _logger.LogDebug("restored {Count} subscriptions", ((MqttSubscribePacket)op.Packet).Subscriptions.Count);
        }
        catch (Exception ex) when (ex is MqttException or OperationCanceledException)
        {
            _logger.LogWarning("restoring subscriptions failed: {Message}", ex.Message);
        }
    }

    private async Task SuperviseAsync(ClientConnection connection)
    {
        while (true)
        {
            var error = await connection.Completion.ConfigureAwait(false) ?? _lastDisconnectError;
            _lastDisconnectError = null;
            lock (_sync)
            {
                _ready = false;
                if (ReferenceEquals(_connection, connection))
                {
                    _connection = null;
                }
                // QoS 0 messages that never reached the socket go out after the reconnect.
                foreach (var item in connection.DrainUnsent())
                {
                    if (item.Operation is { IsQos0: true, IsFinished: false } op)
                    {
                        _backlog.Enqueue(op);
                    }
                }
            }
            await connection.DisposeAsync().ConfigureAwait(false);
            if (_userDisconnect || _disposed)
            {
                return;
            }
            _logger.LogWarning("connection to {Host}:{Port} lost: {Message}", Options.Host, Options.Port, error?.Message ?? "closed by the broker");
            RaiseDisconnected(error ?? new MqttException("connection closed by the broker"));
            if (!Options.AutoReconnect)
            {
                FailAll(new MqttException("connection lost and AutoReconnect is off"));
                return;
            }
            var attempt = 0;
            while (true)
            {
                var delay = Backoff(attempt++);
                try
                {
                    await Task.Delay(delay, _lifetime.Token).ConfigureAwait(false);
                    connection = await EstablishAsync(_lifetime.Token).ConfigureAwait(false);
                    break;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (MqttConnectException ex)
                {
                    _logger.LogInformation("reconnect attempt {Attempt} failed: {Message}", attempt, ex.Message);
                }
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var baseMs = Math.Min(Options.MaxReconnectDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(baseMs * (0.5 + Random.Shared.NextDouble()));
    }

    private void RaiseDisconnected(Exception? error)
    {
        try
        {
            Disconnected?.Invoke(this, error);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "Disconnected handler failed");
        }
    }

    private void FailAll(Exception error)
    {
        List<PendingOperation> ops;
        lock (_sync)
        {
            ops = [.. _pending.Values, .. _backlog, .. _windowQueue];
            _backlog.Clear();
            _windowQueue.Clear();
        }
        foreach (var op in ops)
        {
            op.Fail(error);
        }
    }

    /// <summary>Sends DISCONNECT (the will is discarded), closes the connection and stops reconnecting.</summary>
    public async Task DisconnectAsync(CancellationToken ct = default)
    {
        _userDisconnect = true;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        var connection = _connection;
        if (connection != null)
        {
            await connection.CloseGracefullyAsync(new MqttDisconnectPacket(), TimeSpan.FromSeconds(2)).WaitAsync(ct).ConfigureAwait(false);
        }
        if (_supervisor != null)
        {
            await _supervisor.WaitAsync(ct).ConfigureAwait(false);
        }
        FailAll(new MqttException("the client was disconnected before the broker acknowledged"));
        if (connection != null)
        {
            RaiseDisconnected(null);
        }
    }

    /// <summary>Drops the network connection without DISCONNECT (tests: simulates a network failure).</summary>
    internal void AbortConnectionForTesting() => _connection?.Close();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        await DisconnectAsync().ConfigureAwait(false);
        _disposed = true;
        _dispatch.Writer.TryComplete();
        if (_dispatcher != null)
        {
            await _dispatcher.ConfigureAwait(false);
        }
        _lifetime.Dispose();
        _publishSlots.Dispose();
    }
}
