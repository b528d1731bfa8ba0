using System.Text;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// Append-only persistence: <c>retained.log</c> (set/delete per topic) and <c>sessions.log</c> (session, subscriptions,
/// offline-queued messages, queue cleared, session dropped). Each record is <c>[u32 length][u8 kind][body]</c>; a torn
/// tail record (crash mid-write) is ignored on load. The logs are compacted once at start-up from the replayed state.
/// </summary>
internal sealed class BrokerStore : IDisposable
{
    internal enum Kind : byte { RetainSet = 1, RetainDelete = 2, Session = 3, Subscriptions = 4, Queued = 5, QueueCleared = 6, SessionDropped = 7 }

    internal sealed class SessionRecord
    {
        public required string ClientId { get; init; }
        public uint Expiry { get; set; }
        public string? Username { get; set; }
        public List<MqttSubscription> Subscriptions { get; set; } = [];
        public List<BrokerSession.Queued> Queue { get; } = [];
    }

    private readonly string _directory;
    private readonly Lock _lock = new();
    private FileStream? _retained;
    private FileStream? _sessions;

    public BrokerStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    private string RetainedPath => Path.Combine(_directory, "retained.log");
    private string SessionsPath => Path.Combine(_directory, "sessions.log");

    /// <summary>Replays both logs.</summary>
    public (Dictionary<string, BrokerMessage> Retained, Dictionary<string, SessionRecord> Sessions) Load()
    {
        var retained = new Dictionary<string, BrokerMessage>(StringComparer.Ordinal);
        foreach (var (kind, body) in ReadRecords(RetainedPath))
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
        var sessions = new Dictionary<string, SessionRecord>(StringComparer.Ordinal);
        foreach (var (kind, body) in ReadRecords(SessionsPath))
        {
            using var r = new BinaryReader(new MemoryStream(body), Encoding.UTF8);
            var clientId = r.ReadString();
            switch (kind)
            {
                case Kind.Session:
                    if (!sessions.TryGetValue(clientId, out var s))
                    {
                        sessions[clientId] = s = new SessionRecord { ClientId = clientId };
                    }
                    s.Expiry = r.ReadUInt32();
                    s.Username = r.ReadBoolean() ? r.ReadString() : null;
                    break;
                case Kind.Subscriptions when sessions.TryGetValue(clientId, out var sub):
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
                    sub.Subscriptions = list;
                    break;
                case Kind.Queued when sessions.TryGetValue(clientId, out var q):
                    var qos = (MqttQos)r.ReadByte();
                    var retain = r.ReadBoolean();
                    var subId = r.ReadUInt32();
                    q.Queue.Add(new BrokerSession.Queued(ReadMessage(r), qos, retain, subId == 0 ? null : [subId]));
                    break;
                case Kind.QueueCleared when sessions.TryGetValue(clientId, out var c):
                    c.Queue.Clear();
                    break;
                case Kind.SessionDropped:
                    sessions.Remove(clientId);
                    break;
            }
        }
        return (retained, sessions);
    }

    /// <summary>Rewrites both logs from the replayed state (start-up only), then opens them for appending.</summary>
    public void Compact(IEnumerable<BrokerMessage> retained, IEnumerable<SessionRecord> sessions)
    {
        lock (_lock)
        {
            WriteFresh(RetainedPath, w =>
            {
                foreach (var m in retained)
                {
                    Append(w, Kind.RetainSet, b => WriteMessage(b, m));
                }
            });
            WriteFresh(SessionsPath, w =>
            {
                foreach (var s in sessions)
                {
                    Append(w, Kind.Session, b => WriteSession(b, s.ClientId, s.Expiry, s.Username));
                    Append(w, Kind.Subscriptions, b => WriteSubscriptions(b, s.ClientId, s.Subscriptions));
                    foreach (var q in s.Queue)
                    {
                        Append(w, Kind.Queued, b => WriteQueued(b, s.ClientId, q));
                    }
                }
            });
            _retained = new FileStream(RetainedPath, FileMode.Append, FileAccess.Write, FileShare.Read);
            _sessions = new FileStream(SessionsPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        }
    }

    public void RetainSet(BrokerMessage m) => Write(_retained, Kind.RetainSet, b => WriteMessage(b, m));

    public void RetainDelete(string topic) => Write(_retained, Kind.RetainDelete, b => b.Write(topic));

    public void Session(string clientId, uint expiry, string? username, IReadOnlyCollection<MqttSubscription> subscriptions)
    {
        Write(_sessions, Kind.Session, b => WriteSession(b, clientId, expiry, username));
        Write(_sessions, Kind.Subscriptions, b => WriteSubscriptions(b, clientId, subscriptions));
    }

    public void Queued(string clientId, in BrokerSession.Queued q)
    {
        var copy = q;
        Write(_sessions, Kind.Queued, b => WriteQueued(b, clientId, copy));
    }

    public void QueueCleared(string clientId) => Write(_sessions, Kind.QueueCleared, b => b.Write(clientId));

    public void SessionDropped(string clientId) => Write(_sessions, Kind.SessionDropped, b => b.Write(clientId));

    private void Write(FileStream? stream, Kind kind, Action<BinaryWriter> body)
    {
        lock (_lock)
        {
            if (stream is null)
            {
                return;
            }
            Append(stream, kind, body);
            stream.Flush(); // to the OS: survives a process crash (not power loss; fsync per record would cap throughput)
        }
    }

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

    private static void WriteFresh(string path, Action<Stream> write)
    {
        var temp = path + ".tmp";
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            write(fs);
            fs.Flush(true);
        }
        File.Move(temp, path, overwrite: true);
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
        b.Write(username != null);
        if (username != null)
        {
            b.Write(username);
        }
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

    private static void WriteQueued(BinaryWriter b, string clientId, BrokerSession.Queued q)
    {
        b.Write(clientId);
        b.Write((byte)q.Qos);
        b.Write(q.Retain);
        b.Write(q.SubscriptionIds is { Length: > 0 } ids ? ids[0] : 0u);
        WriteMessage(b, q.Message);
    }

    private static void WriteMessage(BinaryWriter b, BrokerMessage m)
    {
        b.Write(m.Topic);
        b.Write(m.Payload.Length);
        b.Write(m.Payload);
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

    public void Dispose()
    {
        lock (_lock)
        {
            _retained?.Dispose();
            _sessions?.Dispose();
            _retained = null;
            _sessions = null;
        }
    }
}
