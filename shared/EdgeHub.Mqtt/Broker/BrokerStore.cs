using System.Text;
using Microsoft.Win32.SafeHandles;
using EdgeHub.Common;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// Append-only persistence: <c>retained.log</c> (set/delete per topic) and <c>sessions.log</c> (session, subscriptions,
/// every QoS ≥ 1 message owed to a persistent session and its delivery, the packet identifiers of QoS 2 exchanges in
/// both directions, session dropped). Each record is <c>[u32 length][u8 kind][body]</c>. Session and subscription
/// records go to the OS at once; the others are buffered and handed over by <see cref="Flush"/>, which the broker calls
/// before it sends the PUBACK/PUBREC/PUBREL/PUBCOMP that promise them (group commit: one write per read batch), before
/// a QoS 2 PUBLISH to a persistent session reaches the socket, and once a second, so a killed process loses nothing it
/// acknowledged. Whether those writes are also forced to the disk (fsync, surviving a power loss) is
/// <see cref="MqttFsyncMode"/>. A torn tail record (crash mid-write) is ignored on load. The logs are compacted at start-up
/// and whenever one grows past <see cref="CompactThreshold"/> and four times its size after the last compaction.
/// </summary>
internal sealed partial class BrokerStore : IDisposable, ISessionJournal
{
    internal enum Kind : byte
    {
        RetainSet = 1, RetainDelete = 2, Session = 3, Subscriptions = 4,
        /// <summary>Legacy (no sequence number): read, never written.</summary>
        Queued = 5,
        /// <summary>Legacy: read, never written.</summary>
        QueueCleared = 6,
        SessionDropped = 7, Enqueued = 8, Done = 9,
        /// <summary>QoS 2 message (sequence) sent with a packet identifier.</summary>
        Sent = 10,
        /// <summary>PUBREC received for a QoS 2 message (sequence): only PUBREL (packet identifier) is owed.</summary>
        Released = 11,
        /// <summary>Incoming QoS 2 packet identifier accepted, awaiting PUBREL.</summary>
        IncomingQos2 = 12,
        /// <summary>Incoming QoS 2 packet identifier released by PUBREL.</summary>
        IncomingQos2Done = 13,
    }

    internal sealed class SessionRecord
    {
        public required string ClientId { get; init; }
        public uint Expiry { get; set; }
        public string? Username { get; set; }
        public List<MqttSubscription> Subscriptions { get; set; } = [];
        /// <summary>Undelivered messages by journal sequence number (delivery order).</summary>
        public SortedDictionary<long, BrokerSession.Queued> Queue { get; } = [];
        /// <summary>Packet identifiers of queued QoS 2 messages already sent, by sequence number.</summary>
        public Dictionary<long, ushort> Sent { get; } = [];
        /// <summary>PUBRELs owed (PUBREC received, PUBCOMP not yet): packet identifier by sequence number.</summary>
        public SortedDictionary<long, ushort> Released { get; } = [];
        /// <summary>Incoming QoS 2 packet identifiers awaiting PUBREL.</summary>
        public HashSet<ushort> IncomingQos2 { get; } = [];
    }

    private const int BufferSize = 64 * 1024;
    private readonly string _directory;
    private readonly Lock _lock = new();
    /// <summary>Serialises fsyncs (taken before <see cref="_lock"/>, never inside it).</summary>
    private readonly Lock _syncLock = new();
    /// <summary>Records appended (under <see cref="_lock"/>).</summary>
    private long _appended;
    /// <summary>Records known to be on the disk (under <see cref="_syncLock"/>).</summary>
    private long _synced;
    private long _fsyncs;
    private readonly MemoryStream _record = new();
    /// <summary>Open atomic sections (under <see cref="_lock"/>): their records wait in <see cref="_held"/>.</summary>
    private int _atomic;
    /// <summary>Records of open atomic sections, for the sessions log (under <see cref="_lock"/>).</summary>
    private readonly MemoryStream _held = new();
    private int _heldRecords;
    /// <summary>Atomic sections the current thread holds on <see cref="t_atomicStore"/> (a flush there must not wait for itself).</summary>
    [ThreadStatic]
    private static int t_atomicDepth;
    [ThreadStatic]
    private static BrokerStore? t_atomicStore;
    private readonly BinaryWriter _writer;
    private Log? _retained;
    private Log? _sessions;

    private sealed class Log(string path, FileStream stream)
    {
        public string Path { get; } = path;
        public FileStream Stream { get; set; } = stream;
        public long CompactAt { get; set; }
        /// <summary>Records written since the last fsync.</summary>
        public bool Unsynced { get; set; }
    }

    public BrokerStore(string directory, long compactThreshold = 64L << 20, MqttFsyncMode fsync = MqttFsyncMode.Batch)
    {
        _directory = directory;
        CompactThreshold = compactThreshold;
        FsyncMode = fsync;
        Directory.CreateDirectory(directory);
        _writer = new BinaryWriter(_record, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>Minimum log size before a runtime compaction.</summary>
    public long CompactThreshold { get; }

    /// <summary>When buffered records are forced to the disk.</summary>
    public MqttFsyncMode FsyncMode { get; }

    /// <summary>Compactions done since start-up (tests).</summary>
    public int Compactions { get; private set; }

    /// <summary>fsync calls since start-up (tests).</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    private string RetainedPath => Path.Combine(_directory, "retained.log");
    private string SessionsPath => Path.Combine(_directory, "sessions.log");

    /// <summary>Replays both logs.</summary>
    public (Dictionary<string, BrokerMessage> Retained, Dictionary<string, SessionRecord> Sessions) Load() =>
        (LoadRetained(RetainedPath), LoadSessions(SessionsPath));

    /// <summary>Rewrites both logs from the replayed state (start-up), then opens them for appending.</summary>
    public void Compact(IEnumerable<BrokerMessage> retained, IEnumerable<SessionRecord> sessions)
    {
        lock (_lock)
        {
            _retained = Open(RetainedPath, w => WriteRetained(w, retained));
            _sessions = Open(SessionsPath, w => WriteSessions(w, sessions));
        }
    }

    private Log Open(string path, Action<Stream> write)
    {
        WriteFresh(path, write);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, BufferSize);
        return new Log(path, stream) { CompactAt = Math.Max(CompactThreshold, stream.Length * 4) };
    }

    public void RetainSet(BrokerMessage m)
    {
        lock (_lock)
        {
            Begin(Kind.RetainSet);
            WriteMessage(_writer, m);
            Commit(_retained, flush: false);
        }
    }

    public void RetainDelete(string topic)
    {
        lock (_lock)
        {
            Begin(Kind.RetainDelete);
            _writer.Write(topic);
            Commit(_retained, flush: false);
        }
    }

    public void Session(string clientId, uint expiry, string? username, IReadOnlyCollection<MqttSubscription> subscriptions)
    {
        lock (_lock)
        {
            Begin(Kind.Session);
            WriteSession(_writer, clientId, expiry, username);
            Commit(_sessions);
            Begin(Kind.Subscriptions);
            WriteSubscriptions(_writer, clientId, subscriptions);
            Commit(_sessions);
        }
    }

    /// <summary>A QoS ≥ 1 message owed to <paramref name="clientId"/>.</summary>
    public void Enqueued(string clientId, in BrokerSession.Queued q)
    {
        lock (_lock)
        {
            Begin(Kind.Enqueued);
            WriteEnqueued(_writer, clientId, q);
            Commit(_sessions, flush: false);
        }
    }

    /// <summary>The message <paramref name="sequence"/> of <paramref name="clientId"/> is no longer owed.</summary>
    public void Done(string clientId, long sequence)
    {
        lock (_lock)
        {
            Begin(Kind.Done);
            _writer.Write(clientId);
            _writer.Write(sequence);
            Commit(_sessions, flush: false);
        }
    }

    void ISessionJournal.Enqueued(BrokerSession session, in BrokerSession.Queued queued) => Enqueued(session.ClientId, queued);

    void ISessionJournal.Done(BrokerSession session, long sequence) => Done(session.ClientId, sequence);

    void ISessionJournal.Sent(BrokerSession session, long sequence, ushort packetId) => PacketRecord(Kind.Sent, session.ClientId, sequence, packetId);

    void ISessionJournal.Released(BrokerSession session, long sequence, ushort packetId) => PacketRecord(Kind.Released, session.ClientId, sequence, packetId);

    void ISessionJournal.IncomingQos2(BrokerSession session, ushort packetId, bool owned) =>
        PacketRecord(owned ? Kind.IncomingQos2 : Kind.IncomingQos2Done, session.ClientId, 0, packetId);

    /// <summary>A small QoS 2 bookkeeping record: client, sequence number (0 for incoming ones), packet identifier.</summary>
    private void PacketRecord(Kind kind, string clientId, long sequence, ushort packetId)
    {
        lock (_lock)
        {
            Begin(kind);
            WritePacketRecord(_writer, clientId, sequence, packetId);
            Commit(_sessions, flush: false);
        }
    }

    public void SessionDropped(string clientId)
    {
        lock (_lock)
        {
            Begin(Kind.SessionDropped);
            _writer.Write(clientId);
            Commit(_sessions);
        }
    }

    private void Begin(Kind kind)
    {
        _record.SetLength(0);
        _writer.Write(0);
        _writer.Write((byte)kind);
    }

    /// <summary>
    /// Hands buffered records to the OS (survives a process kill) and, with <see cref="MqttFsyncMode.Batch"/>, forces
    /// them to the disk (survives a power loss) before returning.
    /// </summary>
    public void Flush() => FlushAndSync(FsyncMode == MqttFsyncMode.Batch);

    /// <summary>Periodic (once a second): hands buffered records to the OS and, unless fsync is off, forces them to the disk.</summary>
    public void FlushPeriodic() => FlushAndSync(FsyncMode != MqttFsyncMode.Never);

    /// <summary>
    /// Opens an atomic section: the session records appended until <see cref="ExitAtomic"/> reach the OS together or not
    /// at all, and no flush runs in between (a flush on another thread waits the few microseconds until the section ends).
    /// Used for an incoming QoS 2 PUBLISH: the messages it queues for persistent sessions and its packet identifier must
    /// survive a crash together, else a resent PUBLISH is delivered twice (identifier lost) or never (messages lost).
    /// </summary>
    public void EnterAtomic()
    {
        lock (_lock)
        {
            _atomic++;
        }
        t_atomicStore = this;
        t_atomicDepth++;
    }

    /// <summary>Closes an atomic section; the last one out writes the held records to the log in one write.</summary>
    public void ExitAtomic()
    {
        t_atomicDepth--;
        lock (_lock)
        {
            if (--_atomic == 0 && _held.Length > 0 && _sessions is { } log)
            {
                log.Stream.Write(_held.GetBuffer(), 0, (int)_held.Length);
                log.Unsynced = true;
                _appended += _heldRecords;
                _heldRecords = 0;
                _held.SetLength(0);
                if (log.Stream.Length > log.CompactAt)
                {
                    CompactLocked(log);
                }
            }
        }
    }

    /// <summary>Enters <see cref="_lock"/> once no other thread holds an atomic section open (caller exits it).</summary>
    private void EnterUnlessAtomic()
    {
        var spin = new SpinWait();
        while (true)
        {
            _lock.Enter();
            if (_atomic == 0 || (t_atomicDepth > 0 && ReferenceEquals(t_atomicStore, this)))
            {
                return;
            }
            _lock.Exit();
            spin.SpinOnce();
        }
    }

    private void FlushAndSync(bool fsync)
    {
        long target;
        EnterUnlessAtomic();
        try
        {
            target = HandToOsLocked();
        }
        finally
        {
            _lock.Exit();
        }
        if (fsync)
        {
            SyncTo(target);
        }
    }

    /// <summary>Hands both logs' buffered records to the OS (caller holds the lock); returns the records appended so far.</summary>
    private long HandToOsLocked()
    {
        _retained?.Stream.Flush();
        _sessions?.Stream.Flush();
        return _appended;
    }

    /// <summary>
    /// Group commit: the fsync runs outside the append lock, so connections keep appending meanwhile; one waiting here
    /// whose records a finished fsync already covered returns at once, otherwise one fsync covers every waiter.
    /// </summary>
    private void SyncTo(long target)
    {
        lock (_syncLock)
        {
            if (_synced >= target)
            {
                return;
            }
            // Handles taken under the lock (FileStream.SafeFileHandle flushes the stream's buffer).
            SafeFileHandle? retained = null, sessions = null;
            long covered;
            EnterUnlessAtomic();
            try
            {
                covered = HandToOsLocked();
                if (_retained is { Unsynced: true } r)
                {
                    retained = r.Stream.SafeFileHandle;
                    r.Unsynced = false;
                }
                if (_sessions is { Unsynced: true } l)
                {
                    sessions = l.Stream.SafeFileHandle;
                    l.Unsynced = false;
                }
            }
            finally
            {
                _lock.Exit();
            }
            FlushToDisk(retained);
            FlushToDisk(sessions);
            _synced = covered;
        }
    }

    private void FlushToDisk(SafeFileHandle? handle)
    {
        if (handle is null)
        {
            return;
        }
        try
        {
            // The handle is reference-counted: a compaction closing the stream meanwhile cannot pull it from under fsync.
            RandomAccess.FlushToDisk(handle);
            Interlocked.Increment(ref _fsyncs);
        }
        catch (ObjectDisposedException)
        {
            // Compacted meanwhile: the rewritten log was fsynced before it replaced this one.
        }
    }

    /// <summary>Back-fills the length and appends the record; <paramref name="flush"/> hands it to the OS now.</summary>
    private void Commit(Log? log, bool flush = true)
    {
        if (log is null)
        {
            return;
        }
        _writer.Flush();
        var bytes = _record.GetBuffer();
        var length = (int)_record.Length;
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), length - 4);
        if (_atomic > 0 && ReferenceEquals(log, _sessions))
        {
            // Inside an atomic section: held back, written with the section's other records (no flush, no compaction).
            _held.Write(bytes, 0, length);
            _heldRecords++;
            return;
        }
        _appended++;
        log.Stream.Write(bytes, 0, length);
        log.Unsynced = true;
        if (flush)
        {
            log.Stream.Flush();
        }
        if (log.Stream.Length > log.CompactAt)
        {
            CompactLocked(log);
        }
    }

    /// <summary>Replays the log from disk and rewrites only what is still live (the file itself is the source of truth).</summary>
    private void CompactLocked(Log log)
    {
        log.Stream.Dispose();
        if (ReferenceEquals(log, _retained))
        {
            var live = LoadRetained(log.Path);
            WriteFresh(log.Path, w => WriteRetained(w, live.Values));
        }
        else
        {
            var live = LoadSessions(log.Path);
            WriteFresh(log.Path, w => WriteSessions(w, live.Values));
        }
        log.Stream = new FileStream(log.Path, FileMode.Append, FileAccess.Write, FileShare.Read, BufferSize);
        log.CompactAt = Math.Max(CompactThreshold, log.Stream.Length * 4);
        Compactions++;
    }

    // Compaction is rare, so it is made durable whatever the fsync mode (a power loss must not bring back an older log).
    private static void WriteFresh(string path, Action<Stream> write) => AtomicFile.Write(path, write);

    public void Dispose()
    {
        lock (_lock)
        {
            _retained?.Stream.Dispose();
            _sessions?.Stream.Dispose();
            _retained = null;
            _sessions = null;
        }
    }
}
