using System.Text;

namespace EdgeHub.Mqtt.Broker;

/// <summary>Record encoding and log replay.</summary>
internal sealed partial class BrokerStore
{
    private static Dictionary<string, BrokerMessage> LoadRetained(string path)
    {
        var retained = new Dictionary<string, BrokerMessage>(StringComparer.Ordinal);
        foreach (var (kind, body) in ReadRecords(path))
        {
            using var r = new BinaryReader(new MemoryStream(body), Encoding.UTF8);
            if (kind == Kind.RetainSet)
            {
                var m = ReadMessage(r);
                retained[m.Topic] = m;
            }
            else if (kind == Kind.RetainDelete)
            {
                retained.Remove(r.ReadString());
            }
        }
        return retained;
    }

    private static Dictionary<string, SessionRecord> LoadSessions(string path)
    {
        var sessions = new Dictionary<string, SessionRecord>(StringComparer.Ordinal);
        foreach (var (kind, body) in ReadRecords(path))
        {
            using var r = new BinaryReader(new MemoryStream(body), Encoding.UTF8);
            var clientId = r.ReadString();
            SessionRecord? s;
            switch (kind)
            {
                case Kind.Session:
                    if (!sessions.TryGetValue(clientId, out s))
                    {
                        sessions[clientId] = s = new SessionRecord { ClientId = clientId };
                    }
                    s.Expiry = r.ReadUInt32();
                    s.Username = r.ReadBoolean() ? r.ReadString() : null;
                    break;
                case Kind.Subscriptions when sessions.TryGetValue(clientId, out s):
                    s.Subscriptions = ReadSubscriptions(r);
                    break;
                case Kind.Enqueued when sessions.TryGetValue(clientId, out s):
                    var sequence = r.ReadInt64();
                    s.Queue[sequence] = ReadQueued(r, sequence);
                    break;
                case Kind.Queued when sessions.TryGetValue(clientId, out s):
                    var next = s.Queue.Count == 0 ? 1 : s.Queue.Keys.Max() + 1;
                    s.Queue[next] = ReadQueued(r, next);
                    break;
                case Kind.Done when sessions.TryGetValue(clientId, out s):
                    var done = r.ReadInt64();
                    s.Queue.Remove(done);
                    s.Sent.Remove(done);
                    s.Released.Remove(done);
                    break;
                case Kind.Sent when sessions.TryGetValue(clientId, out s):
                    var sent = r.ReadInt64();
                    var sentId = r.ReadUInt16();
                    if (s.Queue.ContainsKey(sent))
                    {
                        s.Sent[sent] = sentId;
                    }
                    break;
                case Kind.Released when sessions.TryGetValue(clientId, out s):
                    var released = r.ReadInt64();
                    s.Queue.Remove(released);
                    s.Sent.Remove(released);
                    s.Released[released] = r.ReadUInt16();
                    break;
                case Kind.IncomingQos2 when sessions.TryGetValue(clientId, out s):
                    r.ReadInt64();
                    s.IncomingQos2.Add(r.ReadUInt16());
                    break;
                case Kind.IncomingQos2Done when sessions.TryGetValue(clientId, out s):
                    r.ReadInt64();
                    s.IncomingQos2.Remove(r.ReadUInt16());
                    break;
                case Kind.QueueCleared when sessions.TryGetValue(clientId, out s):
                    s.Queue.Clear();
                    s.Sent.Clear();
                    break;
                case Kind.SessionDropped:
                    sessions.Remove(clientId);
                    break;
            }
        }
        return sessions;
    }

    private static void WriteRetained(Stream w, IEnumerable<BrokerMessage> retained)
    {
        foreach (var m in retained)
        {
            Append(w, Kind.RetainSet, b => WriteMessage(b, m));
        }
    }

    private static void WriteSessions(Stream w, IEnumerable<SessionRecord> sessions)
    {
        foreach (var s in sessions)
        {
            Append(w, Kind.Session, b => WriteSession(b, s.ClientId, s.Expiry, s.Username));
            Append(w, Kind.Subscriptions, b => WriteSubscriptions(b, s.ClientId, s.Subscriptions));
            foreach (var q in s.Queue.Values)
            {
                Append(w, Kind.Enqueued, b => WriteEnqueued(b, s.ClientId, q));
            }
            foreach (var (sequence, id) in s.Sent)
            {
                Append(w, Kind.Sent, b => WritePacketRecord(b, s.ClientId, sequence, id));
            }
            foreach (var (sequence, id) in s.Released)
            {
                Append(w, Kind.Released, b => WritePacketRecord(b, s.ClientId, sequence, id));
            }
            foreach (var id in s.IncomingQos2)
            {
                Append(w, Kind.IncomingQos2, b => WritePacketRecord(b, s.ClientId, 0, id));
            }
        }
    }

    private static void WritePacketRecord(BinaryWriter b, string clientId, long sequence, ushort packetId)
    {
        b.Write(clientId);
        b.Write(sequence);
        b.Write(packetId);
    }

    /// <summary>One record to a stream (compaction only: allocates).</summary>
    private static void Append(Stream stream, Kind kind, Action<BinaryWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(0);
            w.Write((byte)kind);
            body(w);
        }
        var bytes = ms.GetBuffer();
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), (int)ms.Length - 4);
        stream.Write(bytes, 0, (int)ms.Length);
    }

    private static IEnumerable<(Kind Kind, byte[] Body)> ReadRecords(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }
        var data = File.ReadAllBytes(path);
        var offset = 0;
        while (offset + 5 <= data.Length)
        {
            var length = BitConverter.ToInt32(data, offset);
            if (length < 1 || offset + 4 + length > data.Length)
            {
                yield break; // torn tail
            }
            yield return ((Kind)data[offset + 4], data.AsSpan(offset + 5, length - 1).ToArray());
            offset += 4 + length;
        }
    }

    private static void WriteSession(BinaryWriter b, string clientId, uint expiry, string? username)
    {
        b.Write(clientId);
        b.Write(expiry);
        WriteOptional(b, username);
    }

    private static void WriteSubscriptions(BinaryWriter b, string clientId, IReadOnlyCollection<MqttSubscription> subscriptions)
    {
        b.Write(clientId);
        b.Write(subscriptions.Count);
        foreach (var s in subscriptions)
        {
            b.Write(s.TopicFilter);
            b.Write((byte)((int)s.Qos | (s.NoLocal ? 4 : 0) | (s.RetainAsPublished ? 8 : 0) | ((int)s.RetainHandling << 4)));
            b.Write(s.SubscriptionIdentifier);
        }
    }

    private static List<MqttSubscription> ReadSubscriptions(BinaryReader r)
    {
        var count = r.ReadInt32();
        var list = new List<MqttSubscription>(count);
        for (var i = 0; i < count; i++)
        {
            var filter = r.ReadString();
            var options = r.ReadByte();
            var id = r.ReadUInt32();
            list.Add(new MqttSubscription(filter, (MqttQos)(options & 3))
            {
                NoLocal = (options & 4) != 0, RetainAsPublished = (options & 8) != 0, RetainHandling = (MqttRetainHandling)((options >> 4) & 3), SubscriptionIdentifier = id,
            });
        }
        return list;
    }

    private static void WriteEnqueued(BinaryWriter b, string clientId, in BrokerSession.Queued q)
    {
        b.Write(clientId);
        b.Write(q.Sequence);
        b.Write((byte)q.Qos);
        b.Write(q.Retain);
        // Several identifiers only arise from overlapping subscriptions; the first one is kept.
        b.Write(q.SubscriptionIds is { Length: > 0 } ids ? ids[0] : 0u);
        WriteMessage(b, q.Message);
    }

    private static BrokerSession.Queued ReadQueued(BinaryReader r, long sequence)
    {
        var qos = (MqttQos)r.ReadByte();
        var retain = r.ReadBoolean();
        var subId = r.ReadUInt32();
        return new BrokerSession.Queued(ReadMessage(r), qos, retain, subId == 0 ? null : [subId], sequence);
    }

    private static void WriteMessage(BinaryWriter b, BrokerMessage m)
    {
        b.Write(m.Topic);
        b.Write(m.Payload.Length);
        b.Write(m.Payload.Span);
        b.Write((byte)m.Qos);
        b.Write(m.Retain);
        b.Write(m.PayloadIsUtf8);
        WriteOptional(b, m.ContentType);
        WriteOptional(b, m.ResponseTopic);
        b.Write(m.CorrelationData.Length);
        b.Write(m.CorrelationData.Span);
        b.Write(m.MessageExpiryInterval.HasValue);
        b.Write(m.MessageExpiryInterval ?? 0);
        var user = m.UserProperties;
        b.Write(user?.Count ?? 0);
        if (user != null)
        {
            foreach (var (k, v) in user)
            {
                b.Write(k);
                b.Write(v);
            }
        }
    }

    private static BrokerMessage ReadMessage(BinaryReader r)
    {
        var topic = r.ReadString();
        var payload = r.ReadBytes(r.ReadInt32());
        var qos = (MqttQos)r.ReadByte();
        var retain = r.ReadBoolean();
        var utf8 = r.ReadBoolean();
        var contentType = ReadOptional(r);
        var responseTopic = ReadOptional(r);
        var correlation = r.ReadBytes(r.ReadInt32());
        var hasExpiry = r.ReadBoolean();
        var expiry = r.ReadUInt32();
        var count = r.ReadInt32();
        List<KeyValuePair<string, string>>? user = count > 0 ? new(count) : null;
        for (var i = 0; i < count; i++)
        {
            user!.Add(new(r.ReadString(), r.ReadString()));
        }
        return new BrokerMessage
        {
            Topic = topic, Payload = payload, Qos = qos, Retain = retain, PayloadIsUtf8 = utf8, ContentType = contentType, ResponseTopic = responseTopic,
            CorrelationData = correlation, MessageExpiryInterval = hasExpiry ? expiry : null, UserProperties = user,
        };
    }

    private static void WriteOptional(BinaryWriter b, string? value)
    {
        b.Write(value != null);
        if (value != null)
        {
            b.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}
