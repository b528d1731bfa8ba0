using EdgeHub.Mqtt.Broker;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>
/// Persistence (when <see cref="MqttBrokerOptions.PersistenceDirectory"/> is set): retained messages and persistent
/// sessions (expiry &gt; 0) with their subscriptions and every QoS ≥ 1 message owed to them (queued or in flight,
/// connected or not). Each change is appended before the publisher is acknowledged, so a killed broker loses nothing it
/// acknowledged.
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
        _store = new BrokerStore(dir, fsync: Options.PersistenceFsync);
        var (retained, sessions) = _store.Load();
        foreach (var m in retained.Values)
        {
            _retained.Set(m);
        }
        var now = Environment.TickCount64;
        var queued = 0;
        foreach (var record in sessions.Values)
        {
            var session = NewSession(record.ClientId);
            session.ExpiryInterval = record.Expiry;
            session.Username = record.Username;
            session.DisconnectedAt = now; // downtime does not count against the expiry
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
            foreach (var sequence in session.Restore(record.Queue.Values, record.Sent, record.Released, record.IncomingQos2))
            {
                record.Queue.Remove(sequence); // over the (possibly lowered) queue limit: not written back by the compaction
            }
            queued += record.Queue.Count + record.Released.Count;
            session.Journal = _store;
            _sessions[record.ClientId] = session;
        }
        _store.Compact(retained.Values, sessions.Values);
        _logger.LogInformation("restored {Retained} retained messages, {Sessions} sessions and {Queued} undelivered messages from {Directory}",
            retained.Count, sessions.Count, queued, dir);
        return Task.CompletedTask;
    }

    /// <summary>With persistence, publish acknowledgements wait for <see cref="FlushJournal"/> (group commit).</summary>
    internal bool DefersPublishAcks => _store != null;

    /// <summary>Opens an atomic journal section (no-op without persistence); pair with <see cref="ExitJournalAtomic"/>.</summary>
    private void EnterJournalAtomic() => _store?.EnterAtomic();

    private void ExitJournalAtomic() => _store?.ExitAtomic();

    /// <summary>Hands the journal's buffered records to the OS (and to the disk, per <see cref="MqttBrokerOptions.PersistenceFsync"/>).</summary>
    internal void FlushJournal() => _store?.Flush();

    /// <summary>Once a second: buffered records to the OS, and to the disk unless fsync is off.</summary>
    private void FlushJournalPeriodic() => _store?.FlushPeriodic();

    private BrokerSession NewSession(string clientId) => new(clientId, Options.MaxInflightMessages, Options.MaxQueuedMessages, Options.MaxQueuedBytes);

    private void ClosePersistence()
    {
        // Everything is already in the logs; sessions still pointing at the store find it closed and write nothing.
        _store?.Dispose();
        _store = null;
    }

    private void PersistSession(BrokerSession session)
    {
        if (_store is not { } store)
        {
            return;
        }
        if (session.ExpiryInterval == 0)
        {
            bool was;
            lock (session.Sync)
            {
                was = session.Persisted;
                session.Journal = null;
            }
            if (was)
            {
                store.SessionDropped(session.ClientId);
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
        store.Session(session.ClientId, session.ExpiryInterval, session.Username, subscriptions);
        lock (session.Sync)
        {
            if (session.Persisted || session.Discarded)
            {
                return;
            }
            // Newly persistent: what it already owes goes into the journal, then every later change does.
            session.Journal = store;
            session.JournalAllLocked(store);
        }
    }

    private void ForgetSession(BrokerSession session, bool wasPersisted)
    {
        if (wasPersisted)
        {
            _store?.SessionDropped(session.ClientId);
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
