using EdgeHub.Mqtt.Broker;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>
/// Persistence (when <see cref="MqttBrokerOptions.PersistenceDirectory"/> is set): retained messages, persistent sessions
/// (expiry &gt; 0) with their subscriptions, and QoS ≥ 1 messages queued for them while offline (plus, at a graceful stop,
/// everything still undelivered) survive a restart.
/// </summary>
public sealed partial class MqttBroker
{
    private BrokerStore? _store;

    private Task LoadPersistenceAsync(CancellationToken ct)
    {
        if (Options.PersistenceDirectory is not { } dir)
        {
            return Task.CompletedTask;
        }
        ct.ThrowIfCancellationRequested();
        _store = new BrokerStore(dir);
        var (retained, sessions) = _store.Load();
        foreach (var m in retained.Values)
        {
            _retained.Set(m);
        }
        var now = Environment.TickCount64;
        foreach (var record in sessions.Values)
        {
            var session = NewSession(record.ClientId);
            session.ExpiryInterval = record.Expiry;
            session.Username = record.Username;
            session.DisconnectedAt = now; // downtime does not count against the expiry
            session.Persisted = true;
            foreach (var request in record.Subscriptions)
            {
                var topicFilter = request.TopicFilter;
                string? group = null;
                if (MqttTopic.TryParseShared(request.TopicFilter, out var g, out var inner))
                {
                    group = g;
                    topicFilter = inner;
                }
                var sub = new BrokerSubscription(session, request.TopicFilter, topicFilter, group, request);
                session.Subscriptions[request.TopicFilter] = sub;
                _subscriptions.Add(sub);
            }
            session.Restore(record.Queue);
            _sessions[record.ClientId] = session;
        }
        _store.Compact(retained.Values, sessions.Values);
        _logger.LogInformation("restored {Retained} retained messages and {Sessions} sessions from {Directory}", retained.Count, sessions.Count, dir);
        return Task.CompletedTask;
    }

    private BrokerSession NewSession(string clientId)
    {
        var session = new BrokerSession(clientId, Options.MaxInflightMessages, Options.MaxQueuedMessages);
        if (_store != null)
        {
            session.OfflineQueued = OnOfflineQueued;
        }
        return session;
    }

    private void OnOfflineQueued(BrokerSession session, BrokerSession.Queued queued)
    {
        if (session.Persisted)
        {
            _store?.Queued(session.ClientId, queued);
        }
    }

    private void ClosePersistence()
    {
        if (_store is null)
        {
            return;
        }
        // Graceful stop: whatever is still undelivered for persistent sessions (in flight or queued) is appended.
        foreach (var session in _sessions.Values)
        {
            if (!session.Persisted)
            {
                continue;
            }
            _store.QueueCleared(session.ClientId);
            foreach (var q in session.Snapshot())
            {
                _store.Queued(session.ClientId, q);
            }
        }
        _store.Dispose();
        _store = null;
    }

    private void PersistSession(BrokerSession session)
    {
        if (_store is null)
        {
            return;
        }
        if (session.ExpiryInterval == 0)
        {
            if (session.Persisted)
            {
                session.Persisted = false;
                _store.SessionDropped(session.ClientId);
            }
            return;
        }
        List<MqttSubscription> subscriptions;
        lock (session.Sync)
        {
            subscriptions = new List<MqttSubscription>(session.Subscriptions.Count);
            foreach (var sub in session.Subscriptions.Values)
            {
                subscriptions.Add(new MqttSubscription(sub.Filter, sub.Qos)
                {
                    NoLocal = sub.NoLocal, RetainAsPublished = sub.RetainAsPublished, RetainHandling = sub.RetainHandling, SubscriptionIdentifier = sub.SubscriptionIdentifier,
                });
            }
        }
        var wasPersisted = session.Persisted;
        session.Persisted = true;
        _store.Session(session.ClientId, session.ExpiryInterval, session.Username, subscriptions);
        if (wasPersisted && session.IsConnected)
        {
            // Reattached: the offline queue is being delivered now.
            _store.QueueCleared(session.ClientId);
        }
    }

    private void ForgetSession(BrokerSession session)
    {
        if (_store != null && session.Persisted)
        {
            session.Persisted = false;
            _store.SessionDropped(session.ClientId);
        }
    }

    private void PersistRetained(BrokerMessage message)
    {
        if (_store is null)
        {
            return;
        }
        if (message.Payload.Length == 0)
        {
            _store.RetainDelete(message.Topic);
        }
        else
        {
            _store.RetainSet(message);
        }
    }
}
