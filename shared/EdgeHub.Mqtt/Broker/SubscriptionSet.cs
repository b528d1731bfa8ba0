namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// A session's subscriptions by filter. Most sessions hold one (a monitor subscribes to its own feedback topic): that one
/// is kept in two fields and the dictionary exists only from the second, ~170 B less per session than a one-entry
/// dictionary, at 10,000 sessions per edge. Not thread-safe: callers hold the session's lock.
/// </summary>
internal sealed class SubscriptionSet
{
    private string? _onlyFilter;
    private BrokerSubscription? _only;
    private Dictionary<string, BrokerSubscription>? _many;

    /// <summary>Subscriptions held.</summary>
    public int Count => _many?.Count ?? (_only is null ? 0 : 1);

    /// <summary>The subscriptions (any order).</summary>
    public IEnumerable<BrokerSubscription> Values =>
        _many is not null ? _many.Values : _only is null ? [] : [_only];

    /// <summary>True when <paramref name="filter"/> is subscribed.</summary>
    public bool ContainsKey(string filter) => _many?.ContainsKey(filter) ?? (_only is not null && _onlyFilter == filter);

    /// <summary>Adds or replaces the subscription to <paramref name="filter"/>.</summary>
    public BrokerSubscription this[string filter]
    {
        set
        {
            if (_many is null && (_only is null || _onlyFilter == filter))
            {
                _onlyFilter = filter;
                _only = value;
                return;
            }
            if (_many is null)
            {
                _many = new Dictionary<string, BrokerSubscription>(StringComparer.Ordinal) { [_onlyFilter!] = _only! };
                _onlyFilter = null;
                _only = null;
            }
            _many[filter] = value;
        }
    }

    /// <summary>Removes the subscription to <paramref name="filter"/>; false (and null) when there was none.</summary>
    public bool Remove(string filter, out BrokerSubscription? removed)
    {
        if (_many is not null)
        {
            return _many.Remove(filter, out removed);
        }
        if (_only is not null && _onlyFilter == filter)
        {
            removed = _only;
            _only = null;
            _onlyFilter = null;
            return true;
        }
        removed = null;
        return false;
    }

    /// <summary>Removes every subscription.</summary>
    public void Clear()
    {
        _many = null;
        _only = null;
        _onlyFilter = null;
    }
}
