namespace EdgeHub.Mqtt.Broker;

/// <summary>Retained messages in a topic tree, so a wildcard subscribe walks only matching branches.</summary>
internal sealed class RetainedStore
{
    private sealed class Node
    {
        public Dictionary<string, Node>? Children;
        public BrokerMessage? Message;
    }

    private readonly Node _root = new();
    private readonly Lock _lock = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Stores <paramref name="message"/>, or deletes the retained message when the payload is empty (§3.3.1.3).</summary>
    public void Set(BrokerMessage message)
    {
        lock (_lock)
        {
            var levels = message.Topic.Split('/');
            if (message.Payload.Length == 0)
            {
                Delete(_root, levels, 0);
                return;
            }
            var node = _root;
            foreach (var level in levels)
            {
                node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                if (!node.Children.TryGetValue(level, out var child))
                {
                    node.Children[level] = child = new Node();
                }
                node = child;
            }
            if (node.Message is null)
            {
                _count++;
            }
            node.Message = message;
        }
    }

    private bool Delete(Node node, string[] levels, int index)
    {
        if (index == levels.Length)
        {
            if (node.Message is null)
            {
                return false;
            }
            node.Message = null;
            _count--;
            return true;
        }
        if (node.Children is null || !node.Children.TryGetValue(levels[index], out var child) || !Delete(child, levels, index + 1))
        {
            return false;
        }
        if (child.Message is null && (child.Children is null || child.Children.Count == 0))
        {
            node.Children.Remove(levels[index]);
        }
        return true;
    }

    /// <summary>Retained messages whose topic matches <paramref name="topicFilter"/> (expired ones are dropped).</summary>
    public void Match(string topicFilter, List<BrokerMessage> result)
    {
        var levels = topicFilter.Split('/');
        var now = Environment.TickCount64;
        lock (_lock)
        {
            Match(_root, levels, 0, result, now);
        }
    }

    private static void Match(Node node, string[] levels, int index, List<BrokerMessage> result, long now)
    {
        if (index == levels.Length)
        {
            Add(node, result, now);
            return;
        }
        var level = levels[index];
        if (node.Children is null)
        {
            if (level == "#")
            {
                Add(node, result, now); // "a/#" matches "a"
            }
            return;
        }
        if (level == "#")
        {
            Add(node, result, now);
            foreach (var (name, child) in node.Children)
            {
                if (index == 0 && name.StartsWith('$'))
                {
                    continue;
                }
                AddAll(child, result, now);
            }
        }
        else if (level == "+")
        {
            foreach (var (name, child) in node.Children)
            {
                if (index == 0 && name.StartsWith('$'))
                {
                    continue;
                }
                Match(child, levels, index + 1, result, now);
            }
        }
        else if (node.Children.TryGetValue(level, out var child))
        {
            Match(child, levels, index + 1, result, now);
        }
    }

    private static void Add(Node node, List<BrokerMessage> result, long now)
    {
        if (node.Message is { } m && !m.IsExpired(now))
        {
            result.Add(m);
        }
    }

    private static void AddAll(Node node, List<BrokerMessage> result, long now)
    {
        Add(node, result, now);
        if (node.Children is null)
        {
            return;
        }
        foreach (var child in node.Children.Values)
        {
            AddAll(child, result, now);
        }
    }

    /// <summary>Every retained message (for persistence snapshots).</summary>
    public List<BrokerMessage> All()
    {
        var result = new List<BrokerMessage>();
        lock (_lock)
        {
            AddAll(_root, result, Environment.TickCount64);
        }
        return result;
    }
}
