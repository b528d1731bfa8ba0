namespace EdgeHub.Mqtt.Security;

/// <summary>Access an ACL rule grants.</summary>
[Flags]
public enum AclAccess
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Subscribe and receive.</summary>
    Read = 1,
    /// <summary>Publish.</summary>
    Write = 2,
    /// <summary>Both.</summary>
    ReadWrite = Read | Write,
}

/// <summary>
/// Topic ACLs in the mosquitto acl_file format. Rules before any <c>user</c> line apply to anonymous clients;
/// <c>user NAME</c> starts that user's rules; <c>topic [read|write|readwrite|deny] FILTER</c> grants (default readwrite);
/// <c>pattern [access] FILTER</c> applies to everyone with <c>%c</c> = client id and <c>%u</c> = user name substituted.
/// Anything not granted is denied; a <c>deny</c> rule wins over grants.
/// </summary>
public sealed class MqttAcl
{
    private sealed record Rule(string Filter, AclAccess Access, bool Deny);

    private readonly List<Rule> _anonymous = [];
    private readonly Dictionary<string, List<Rule>> _users = new(StringComparer.Ordinal);
    private readonly List<Rule> _patterns = [];

    /// <summary>Parses an ACL file.</summary>
    public static MqttAcl Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ACL file '{path}' does not exist", path);
        }
        return Parse(File.ReadAllLines(path), path);
    }

    /// <summary>Parses ACL lines; an unknown keyword or access fails with its line number.</summary>
    public static MqttAcl Parse(IEnumerable<string> lines, string source = "ACL file")
    {
        ArgumentNullException.ThrowIfNull(lines);
        var acl = new MqttAcl();
        var current = acl._anonymous;
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            switch (parts[0])
            {
                case "user" when parts.Length >= 2:
                    var name = line[4..].Trim();
                    if (!acl._users.TryGetValue(name, out current!))
                    {
                        acl._users[name] = current = [];
                    }
                    break;
                case "topic":
                case "pattern":
                    var rule = ParseRule(parts, source, number);
                    (parts[0] == "topic" ? current : acl._patterns).Add(rule);
                    break;
                default:
                    throw new FormatException($"{source} line {number}: expected 'user NAME', 'topic [read|write|readwrite|deny] FILTER' or 'pattern ...', got '{line}'");
            }
        }
        return acl;
    }

    private static Rule ParseRule(string[] parts, string source, int number)
    {
        if (parts.Length < 2)
        {
            throw new FormatException($"{source} line {number}: '{parts[0]}' needs a topic filter");
        }
        var access = AclAccess.ReadWrite;
        var deny = false;
        var filter = parts.Length == 3 ? parts[2] : parts[1];
        if (parts.Length == 3)
        {
            switch (parts[1])
            {
                case "read": access = AclAccess.Read; break;
                case "write": access = AclAccess.Write; break;
                case "readwrite": access = AclAccess.ReadWrite; break;
                case "deny": deny = true; break;
                default:
                    // "topic a b" with a space in the filter is not supported by mosquitto either.
                    throw new FormatException($"{source} line {number}: access must be read, write, readwrite or deny, got '{parts[1]}'");
            }
        }
        return new Rule(filter, access, deny);
    }

    /// <summary>True when the client may publish to (Write) or receive from (Read) <paramref name="topic"/>.</summary>
    public bool IsAllowed(string clientId, string? username, string topic, AclAccess access)
    {
        var granted = false;
        foreach (var rule in RulesFor(username))
        {
            if (MqttTopic.Matches(rule.Filter, topic))
            {
                if (rule.Deny)
                {
                    return false;
                }
                granted |= (rule.Access & access) == access;
            }
        }
        foreach (var rule in _patterns)
        {
            var filter = Substitute(rule.Filter, clientId, username);
            if (filter != null && MqttTopic.Matches(filter, topic))
            {
                if (rule.Deny)
                {
                    return false;
                }
                granted |= (rule.Access & access) == access;
            }
        }
        return granted;
    }

    /// <summary>True when every topic the subscription filter can match is readable (checked once, at SUBSCRIBE).</summary>
    public bool IsSubscribeAllowed(string clientId, string? username, string topicFilter)
    {
        var granted = false;
        foreach (var rule in RulesFor(username))
        {
            if (rule.Deny && Overlaps(rule.Filter, topicFilter))
            {
                return false;
            }
            granted |= !rule.Deny && (rule.Access & AclAccess.Read) != 0 && Covers(rule.Filter, topicFilter);
        }
        foreach (var rule in _patterns)
        {
            var filter = Substitute(rule.Filter, clientId, username);
            if (filter is null)
            {
                continue;
            }
            if (rule.Deny && Overlaps(filter, topicFilter))
            {
                return false;
            }
            granted |= !rule.Deny && (rule.Access & AclAccess.Read) != 0 && Covers(filter, topicFilter);
        }
        return granted;
    }

    private List<Rule> RulesFor(string? username) =>
        username is null ? _anonymous : _users.TryGetValue(username, out var rules) ? rules : [];

    private static string? Substitute(string filter, string clientId, string? username)
    {
        if (filter.Contains("%u", StringComparison.Ordinal))
        {
            if (username is null || username.AsSpan().IndexOfAny("+#/") >= 0)
            {
                return null; // a user name with wildcards or '/' must not widen a pattern (mosquitto does the same)
            }
            filter = filter.Replace("%u", username, StringComparison.Ordinal);
        }
        if (filter.Contains("%c", StringComparison.Ordinal))
        {
            if (clientId.AsSpan().IndexOfAny("+#/") >= 0)
            {
                return null;
            }
            filter = filter.Replace("%c", clientId, StringComparison.Ordinal);
        }
        return filter;
    }

    /// <summary>Every topic matched by <paramref name="inner"/> is matched by <paramref name="outer"/>.</summary>
    internal static bool Covers(string outer, string inner)
    {
        var o = outer.Split('/');
        var i = inner.Split('/');
        for (var k = 0; k < o.Length; k++)
        {
            if (o[k] == "#")
            {
                return true;
            }
            if (k >= i.Length)
            {
                return false;
            }
            if (o[k] == "+")
            {
                if (i[k] == "#")
                {
                    return false;
                }
                continue;
            }
            if (o[k] != i[k])
            {
                return false;
            }
        }
        return o.Length == i.Length;
    }

    /// <summary>Some topic could match both filters.</summary>
    internal static bool Overlaps(string a, string b)
    {
        var x = a.Split('/');
        var y = b.Split('/');
        for (var k = 0; ; k++)
        {
            if (k < x.Length && x[k] == "#" || k < y.Length && y[k] == "#")
            {
                return true;
            }
            if (k == x.Length || k == y.Length)
            {
                return x.Length == y.Length;
            }
            if (x[k] != "+" && y[k] != "+" && x[k] != y[k])
            {
                return false;
            }
        }
    }
}
