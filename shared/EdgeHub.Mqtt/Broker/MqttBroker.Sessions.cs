using System.Collections.Concurrent;
using EdgeHub.Mqtt.Broker;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>Sessions: CONNECT acceptance, takeover, expiry, wills and keep-alive housekeeping.</summary>
public sealed partial class MqttBroker
{
    private readonly ConcurrentDictionary<string, BrokerSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _sessionLock = new();

    /// <summary>The session of <paramref name="clientId"/>, or null (tests).</summary>
    internal BrokerSession? SessionOf(string clientId) => _sessions.TryGetValue(clientId, out var s) ? s : null;

    /// <summary>Authenticates and binds a session; returns the CONNACK reason code.</summary>
    internal MqttReasonCode Accept(BrokerConnection connection, MqttConnectPacket connect)
    {
        BrokerSession? session = null;
        var sessionPresent = false;
        string? assignedId = null;
        var clientId = connect.ClientId;
        if (clientId.Length == 0)
        {
            if (!connect.CleanStart && connect.ProtocolVersion == MqttProtocolVersion.V311)
            {
                return MqttReasonCode.ClientIdentifierNotValid; // [MQTT-3.1.3-8]
            }
            clientId = assignedId = "auto-" + Guid.NewGuid().ToString("N");
        }
        // Enhanced authentication already proved the user (and CONNECT's own user name, if any, is replaced by it).
        var username = connection.AuthenticatedUser ?? connect.Username;
        var auth = connection.AuthenticatedUser != null ? MqttReasonCode.Success : Authenticate(connect.Username, connect.Password);
        if (auth != MqttReasonCode.Success)
        {
            _logger.LogInformation("refused {ClientId} from {Remote}: {Reason}", clientId, connection.Remote, auth);
            return auth;
        }
        var expiry = connect.ProtocolVersion == MqttProtocolVersion.V500
            ? Math.Min(connect.SessionExpiryInterval, Options.MaxSessionExpiryInterval)
            : connect.CleanStart ? 0u : uint.MaxValue; // 3.1.1: clean session 0 never expires
        BrokerConnection? previous = null;
        lock (_sessionLock)
        {
            if (_sessions.TryGetValue(clientId, out var existing))
            {
                previous = existing.Connection;
                if (connect.CleanStart)
                {
                    DiscardSession(existing);
                }
                else
                {
                    session = existing;
                    sessionPresent = true;
                }
            }
            if (session is null)
            {
                if (_sessions.Count >= Options.MaxSessions)
                {
                    return MqttReasonCode.QuotaExceeded;
                }
                session = NewSession(clientId);
                _sessions[clientId] = session;
            }
            session.Username = username;
            session.ExpiryInterval = expiry;
            // A reconnect before the will delay elapsed cancels the will [MQTT-3.1.3-9].
            session.PendingWill = null;
            // CONNACK is queued before anything the session sends; attaching under the lock keeps a closing
            // predecessor from expiring the session in between.
            connection.SendConnAck(connect, session, sessionPresent, assignedId);
            session.Attach(connection);
        }
        if (previous != null)
        {
            // Session takeover [MQTT-3.1.4-3]: the old connection gets 0x8E and is closed.
            _logger.LogInformation("client {ClientId} taken over by {Remote}", clientId, connection.Remote);
            previous.TakenOver = true;
            previous.Disconnect(MqttReasonCode.SessionTakenOver, "another connection used this client identifier");
        }
        PersistSession(session);
        return MqttReasonCode.Success;
    }

    private void DiscardSession(BrokerSession session)
    {
        var wasPersisted = session.Persisted;
        session.Discard();
        foreach (var sub in session.Subscriptions.Values)
        {
            _subscriptions.Remove(session, sub.TopicFilter, sub.ShareGroup);
        }
        session.Subscriptions.Clear();
        _sessions.TryRemove(new KeyValuePair<string, BrokerSession>(session.ClientId, session));
        ForgetSession(session, wasPersisted);
    }

    internal void OnConnectionClosed(BrokerConnection connection)
    {
        _connections.TryRemove(connection, out _);
        var session = connection.Session;
        if (session is null || !session.Detach(connection))
        {
            // Taken over: the will goes out unless the new connection resumed the session with a will delay [MQTT-3.1.3-9].
            if (connection.Will is { } w && !connection.NormalDisconnect && connection.WillDelay == 0)
            {
                PublishWill(w, connection.ClientId);
            }
            return;
        }
        _logger.LogDebug("client {ClientId} disconnected", session.ClientId);
        var will = connection.NormalDisconnect ? null : connection.Will;
        lock (_sessionLock)
        {
            if (will != null)
            {
                var delay = Math.Min(connection.WillDelay, session.ExpiryInterval);
                if (delay == 0)
                {
                    PublishWill(will, session.ClientId);
                }
                else
                {
                    session.PendingWill = will;
                    session.PendingWillDueAt = Environment.TickCount64 + delay * 1000L;
                }
            }
            if (session.ExpiryInterval == 0 && !session.IsConnected)
            {
                DiscardSession(session);
            }
        }
        if (!session.Discarded)
        {
            PersistSession(session);
        }
    }

    private void PublishWill(MqttApplicationMessage will, string clientId)
    {
        _logger.LogDebug("publishing will of {ClientId} on {Topic}", clientId, will.Topic);
        var message = BrokerMessage.From(will, clientId);
        if (!IsAuthorized(clientId, _sessions.TryGetValue(clientId, out var s) ? s.Username : null, will.Topic, AclAccess.Write))
        {
            return;
        }
        if (will.Retain)
        {
            SetRetained(message);
        }
        Route(message);
    }

    private void Housekeep()
    {
        try
        {
            var now = Environment.TickCount64;
            PayloadPool.Trim();
            FlushJournalPeriodic(); // records with no acknowledgement waiting on them (deliveries, wills) reach the OS within a second
            foreach (var connection in _connections.Keys)
            {
                if (connection.Session is null)
                {
                    if (now - connection.CreatedAt > Options.ConnectTimeout.TotalMilliseconds)
                    {
                        _logger.LogInformation("closing {Remote}: no CONNECT within {Timeout}", connection.Remote, Options.ConnectTimeout);
                        connection.Abort();
                    }
                }
                else if (connection.KeepAlive > 0 && now - connection.LastActivity > connection.KeepAlive * 1500L)
                {
                    // [MQTT-3.1.2-22]: one and a half keep-alive periods without a packet.
                    _logger.LogInformation("closing {ClientId}: keep-alive {KeepAlive}s exceeded", connection.ClientId, connection.KeepAlive);
                    connection.Disconnect(MqttReasonCode.KeepAliveTimeout, "keep alive timeout");
                    // The write loop closes after sending DISCONNECT; a peer that does not read is cut off anyway.
                    _ = Task.Delay(2000).ContinueWith(_ => connection.Abort(), TaskScheduler.Default);
                }
            }
            foreach (var session in _sessions.Values)
            {
                if (session.IsConnected)
                {
                    continue;
                }
                lock (_sessionLock)
                {
                    if (session.IsConnected)
                    {
                        continue;
                    }
                    var expired = session.ExpiryInterval != uint.MaxValue && now - session.DisconnectedAt >= session.ExpiryInterval * 1000L;
                    if (session.PendingWill is { } will && (expired || now >= session.PendingWillDueAt))
                    {
                        session.PendingWill = null;
                        PublishWill(will, session.ClientId);
                    }
                    if (expired)
                    {
                        _logger.LogDebug("session {ClientId} expired", session.ClientId);
                        DiscardSession(session);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "broker housekeeping failed");
        }
    }
}
