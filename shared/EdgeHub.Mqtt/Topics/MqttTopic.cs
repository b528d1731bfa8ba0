namespace EdgeHub.Mqtt;

/// <summary>Topic name and filter rules (§4.7).</summary>
public static class MqttTopic
{
    /// <summary>Prefix of shared subscriptions (§4.8.2).</summary>
    public const string SharePrefix = "$share/";

    /// <summary>True when <paramref name="topic"/> contains <c>+</c> or <c>#</c>.</summary>
    public static bool HasWildcard(string topic) => topic.AsSpan().IndexOfAny('+', '#') >= 0;

    /// <summary>A topic name: at least one character, no wildcards, at most 65,535 UTF-8 bytes (§4.7.3).</summary>
    public static bool IsValidTopicName(string topic) => topic.Length > 0 && !HasWildcard(topic) && !topic.Contains('\0', StringComparison.Ordinal);

    /// <summary>
    /// A topic filter: <c>#</c> only last and alone in its level, <c>+</c> alone in its level (§4.7.1);
    /// <c>$share/{name}/{filter}</c> needs a share name without wildcards or <c>/</c> and a valid filter (§4.8.2).
    /// </summary>
    public static bool IsValidTopicFilter(string filter)
    {
        if (filter.Length == 0 || filter.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }
        if (filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return TryParseShared(filter, out _, out var inner) && IsValidPlainFilter(inner);
        }
        return IsValidPlainFilter(filter);
    }

    private static bool IsValidPlainFilter(ReadOnlySpan<char> filter)
    {
        if (filter.Length == 0)
        {
            return false;
        }
        var levelStart = 0;
        for (var i = 0; i <= filter.Length; i++)
        {
            if (i < filter.Length && filter[i] != '/')
            {
                continue;
            }
            var level = filter[levelStart..i];
            if (level.Contains('#'))
            {
                if (level.Length != 1 || i != filter.Length)
                {
                    return false;
                }
            }
            else if (level.Contains('+') && level.Length != 1)
            {
                return false;
            }
            levelStart = i + 1;
        }
        return true;
    }

    /// <summary>Splits <c>$share/{group}/{filter}</c>; false when <paramref name="filter"/> is not a well-formed shared filter.</summary>
    public static bool TryParseShared(string filter, out string group, out string inner)
    {
        group = "";
        inner = "";
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var slash = filter.IndexOf('/', SharePrefix.Length);
        if (slash <= SharePrefix.Length || slash == filter.Length - 1)
        {
            return false;
        }
        group = filter[SharePrefix.Length..slash];
        if (group.AsSpan().IndexOfAny('+', '#') >= 0)
        {
            return false;
        }
        inner = filter[(slash + 1)..];
        return true;
    }

    /// <summary>True when <paramref name="topic"/> matches <paramref name="filter"/> (plain filters; <c>$</c> topics need a literal first level).</summary>
    public static bool Matches(string filter, string topic)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length > 0 && topic[0] == '$' && filter.Length > 0 && (filter[0] == '+' || filter[0] == '#'))
        {
            return false; // [MQTT-4.7.2-1]
        }
        var f = filter.AsSpan();
        var t = topic.AsSpan();
        while (true)
        {
            var fi = f.IndexOf('/');
            var fLevel = fi < 0 ? f : f[..fi];
            if (fLevel.SequenceEqual("#"))
            {
                return true;
            }
            var ti = t.IndexOf('/');
            var tLevel = ti < 0 ? t : t[..ti];
            if (!fLevel.SequenceEqual("+") && !fLevel.SequenceEqual(tLevel))
            {
                return false;
            }
            if (fi < 0 || ti < 0)
            {
                // "a/#" matches "a" too (§4.7.1.2).
                return fi < 0 && ti < 0 || (ti < 0 && f[(fi + 1)..].SequenceEqual("#"));
            }
            f = f[(fi + 1)..];
            t = t[(ti + 1)..];
        }
    }
}
