namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// Topic tree of subscriptions: one node per filter level, '+' and '#' as dedicated children, so routing walks only the
/// levels of the topic (no scan over subscriptions). Readers share a lock; subscriber arrays are copy-on-write.
/// </summary>
internal sealed class SubscriptionTree : IDisposable
{
    private sealed class Node
    {
        // A level with one child (a device's own filter under its id, the common case at 10,000 devices) keeps it in
        // OnlyKey/OnlyChild; Children exists only once a second child arrives (~260 B less per such node).
        public string? OnlyKey;
        public Node? OnlyChild;
        public Dictionary<string, Node>? Children;
        public Node? Plus;
        public Node? Hash;
        public BrokerSubscription[] Subscribers = [];
        public Dictionary<string, SharedGroup>? Shared;

        public bool IsEmpty => Subscribers.Length == 0 && (Shared is null || Shared.Count == 0) && Plus is null && Hash is null &&
            OnlyChild is null && (Children is null || Children.Count == 0);

        public Node? Find(ReadOnlySpan<char> level)
        {
            if (Children is { } children)
            {
                return children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var child) ? child : null;
            }
            return OnlyKey is not null && level.SequenceEqual(OnlyKey) ? OnlyChild : null;
        }

        public void RemoveChild(string level)
        {
            if (Children is { } children)
            {
                children.Remove(level);
            }
            else if (OnlyKey == level)
            {
                OnlyKey = null;
                OnlyChild = null;
            }
        }
    }

    private readonly Node _root = new();
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Dispose() => _lock.Dispose();

    /// <summary>Adds or replaces the subscription of the same session to the same filter; returns true when it is new.</summary>
    public bool Add(BrokerSubscription subscription)
    {
        _lock.EnterWriteLock();
        try
        {
            var node = _root;
            foreach (var level in subscription.TopicFilter.Split('/'))
            {
                node = level switch
                {
                    "+" => node.Plus ??= new Node(),
                    "#" => node.Hash ??= new Node(),
                    _ => Child(node, level),
                };
            }
            if (subscription.ShareGroup is { } group)
            {
                node.Shared ??= new Dictionary<string, SharedGroup>(StringComparer.Ordinal);
                if (!node.Shared.TryGetValue(group, out var g))
                {
                    node.Shared[group] = g = new SharedGroup(group);
                }
                var added = g.AddOrReplace(subscription);
                if (added)
                {
                    _count++;
                }
                return added;
            }
            var subs = node.Subscribers;
            for (var i = 0; i < subs.Length; i++)
            {
                if (ReferenceEquals(subs[i].Session, subscription.Session))
                {
                    var copy = (BrokerSubscription[])subs.Clone();
                    copy[i] = subscription;
                    node.Subscribers = copy;
                    return false;
                }
            }
            var grown = new BrokerSubscription[subs.Length + 1];
            subs.CopyTo(grown, 0);
            grown[^1] = subscription;
            node.Subscribers = grown;
            _count++;
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static Node Child(Node node, string level)
    {
        if (node.Find(level) is { } existing)
        {
            return existing;
        }
        var child = new Node();
        if (node.Children is null && node.OnlyKey is null)
        {
            node.OnlyKey = level;
            node.OnlyChild = child;
            return child;
        }
        if (node.Children is null)
        {
            node.Children = new Dictionary<string, Node>(StringComparer.Ordinal) { [node.OnlyKey!] = node.OnlyChild! };
            node.OnlyKey = null;
            node.OnlyChild = null;
        }
        node.Children[level] = child;
        return child;
    }

    /// <summary>Removes the subscription of <paramref name="session"/> to <paramref name="topicFilter"/>; prunes empty nodes.</summary>
    public bool Remove(BrokerSession session, string topicFilter, string? shareGroup)
    {
        _lock.EnterWriteLock();
        try
        {
            var levels = topicFilter.Split('/');
            var removed = Remove(_root, levels, 0, session, shareGroup);
            if (removed)
            {
                _count--;
            }
            return removed;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static bool Remove(Node node, string[] levels, int index, BrokerSession session, string? shareGroup)
    {
        if (index == levels.Length)
        {
            if (shareGroup != null)
            {
                if (node.Shared is null || !node.Shared.TryGetValue(shareGroup, out var g) || !g.Remove(session))
                {
                    return false;
                }
                if (g.IsEmpty)
                {
                    node.Shared.Remove(shareGroup);
                }
                return true;
            }
            var subs = node.Subscribers;
            var at = Array.FindIndex(subs, s => ReferenceEquals(s.Session, session));
            if (at < 0)
            {
                return false;
            }
            var shrunk = new BrokerSubscription[subs.Length - 1];
            Array.Copy(subs, 0, shrunk, 0, at);
            Array.Copy(subs, at + 1, shrunk, at, subs.Length - at - 1);
            node.Subscribers = shrunk;
            return true;
        }
        var level = levels[index];
        Node? child = level switch
        {
            "+" => node.Plus,
            "#" => node.Hash,
            _ => node.Find(level),
        };
        if (child is null || !Remove(child, levels, index + 1, session, shareGroup))
        {
            return false;
        }
        if (child.IsEmpty)
        {
            switch (level)
            {
                case "+": node.Plus = null; break;
                case "#": node.Hash = null; break;
                default: node.RemoveChild(level); break;
            }
        }
        return true;
    }

    /// <summary>Collects the subscriptions matching <paramref name="topic"/> and the shared groups to pick one member from.</summary>
    public void Match(string topic, List<BrokerSubscription> matches, List<SharedGroup> groups)
    {
        _lock.EnterReadLock();
        try
        {
            // [MQTT-4.7.2-1]: wildcards at the first level do not match topics starting with '$'.
            var dollar = topic.Length > 0 && topic[0] == '$';
            MatchLevel(_root, topic, 0, dollar, matches, groups);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private static void MatchLevel(Node node, string topic, int start, bool noWildcards, List<BrokerSubscription> matches, List<SharedGroup> groups)
    {
        if (!noWildcards && node.Hash is { } hash)
        {
            Collect(hash, matches, groups);
        }
        if (start > topic.Length)
        {
            Collect(node, matches, groups);
            return;
        }
        var slash = topic.IndexOf('/', start);
        var end = slash < 0 ? topic.Length : slash;
        var next = end + 1;
        if (!noWildcards && node.Plus is { } plus)
        {
            MatchLevel(plus, topic, next, false, matches, groups);
        }
        if (node.Find(topic.AsSpan(start, end - start)) is { } child)
        {
            MatchLevel(child, topic, next, false, matches, groups);
        }
    }

    private static void Collect(Node node, List<BrokerSubscription> matches, List<SharedGroup> groups)
    {
        foreach (var s in node.Subscribers)
        {
            matches.Add(s);
        }
        if (node.Shared is { Count: > 0 } shared)
        {
            foreach (var g in shared.Values)
            {
                groups.Add(g);
            }
        }
    }
}

/// <summary>Members of one <c>$share/{group}/{filter}</c>; each message goes to one member, round robin, preferring connected ones.</summary>
internal sealed class SharedGroup
{
    private BrokerSubscription[] _members = [];
    private int _next;

    public SharedGroup(string name) => Name = name;

    public string Name { get; }
    public bool IsEmpty => _members.Length == 0;

    public bool AddOrReplace(BrokerSubscription subscription)
    {
        var members = _members;
        for (var i = 0; i < members.Length; i++)
        {
            if (ReferenceEquals(members[i].Session, subscription.Session))
            {
                var copy = (BrokerSubscription[])members.Clone();
                copy[i] = subscription;
                _members = copy;
                return false;
            }
        }
        _members = [.. members, subscription];
        return true;
    }

    public bool Remove(BrokerSession session)
    {
        var members = _members;
        var at = Array.FindIndex(members, s => ReferenceEquals(s.Session, session));
        if (at < 0)
        {
            return false;
        }
        var list = new List<BrokerSubscription>(members);
        list.RemoveAt(at);
        _members = [.. list];
        return true;
    }

    /// <summary>Next member, skipping disconnected sessions when a connected one exists.</summary>
    public BrokerSubscription? Pick()
    {
        var members = _members;
        if (members.Length == 0)
        {
            return null;
        }
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)members.Length);
        for (var i = 0; i < members.Length; i++)
        {
            var m = members[(start + i) % members.Length];
            if (m.Session.IsConnected)
            {
                return m;
            }
        }
        return members[start];
    }
}
