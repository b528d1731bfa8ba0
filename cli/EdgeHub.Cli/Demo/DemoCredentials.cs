using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeHub.Contracts;
using EdgeHub.Mqtt.Security;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// Logins and topic rights of the secure demo. Every MQTT client has its own user: devices log in as their device id, each
/// edge as its edge id (to its own device broker and to the hub), each region's clinician app as <c>clinician-REGION</c>,
/// the hub node as <c>hub</c>. Passwords derive from a per-run secret (HMAC-SHA256), so nothing needs storing but the
/// PBKDF2 password files the brokers read. The ACLs give each client exactly the topics its role needs (see
/// <see cref="DeviceBrokerAcl"/> and <see cref="HubBrokerAcl"/>).
/// </summary>
public sealed class DemoCredentials(byte[] secret)
{
    /// <summary>User name of the hub node on its own broker.</summary>
    public const string HubUser = "hub";

    /// <summary>Creates credentials with a fresh random secret.</summary>
    public static DemoCredentials CreateRandom() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>User name of a region's clinician app.</summary>
    public static string ClinicianUser(string region) => "clinician-" + region;

    /// <summary>The password of <paramref name="user"/> (32 hex characters).</summary>
    public string PasswordOf(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes("mqtt-user:" + user)))[..32];
    }

    /// <summary>
    /// ACL of an edge's device broker: a device may publish its own telemetry and read its own feedback, nothing else
    /// (<c>%u</c> = its user name = its device id); the edge reads all telemetry and labels and writes feedback and alerts;
    /// the clinician app reads alerts and writes labels.
    /// </summary>
    public static IReadOnlyList<string> DeviceBrokerAcl(string edgeId, string region) =>
    [
        "# EdgeHub secure demo: device broker of " + edgeId,
        "# devices (user name = device id): own telemetry out, own feedback in",
        $"pattern write {Topics.Root}/devices/%u/telemetry",
        $"pattern read {Topics.Root}/devices/%u/feedback",
        $"user {edgeId}",
        $"topic read {Topics.AllTelemetry}",
        $"topic write {Topics.Root}/devices/+/feedback",
        $"topic write {Topics.AllAlerts}",
        $"topic read {Topics.AllLabels}",
        $"user {ClinicianUser(region)}",
        $"topic read {Topics.AllAlerts}",
        $"topic write {Topics.AllLabels}",
    ];

    /// <summary>
    /// ACL of the hub's broker: an edge may send deltas only as itself into its own region, publish only its own status, and
    /// read only its own acks, its own model assignment and its region's; the hub node may do everything.
    /// </summary>
    public static IReadOnlyList<string> HubBrokerAcl(IEnumerable<(string EdgeId, string Region)> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var lines = new List<string> { "# EdgeHub secure demo: hub broker", $"user {HubUser}", "topic readwrite #" };
        foreach (var (edgeId, region) in edges)
        {
            lines.Add($"user {edgeId}");
            lines.Add($"topic write {Topics.Delta(region, edgeId)}");
            lines.Add($"topic write {Topics.Status(edgeId)}");
            lines.Add($"topic read {Topics.Acks(edgeId)}");
            lines.Add($"topic read {Topics.EdgeModel(edgeId)}");
            lines.Add($"topic read {Topics.RegionModel(region)}");
        }

        return lines;
    }

    /// <summary>Writes a mosquitto_passwd-format file (PBKDF2-SHA512) for <paramref name="users"/>; returns its path.</summary>
    public string WritePasswordFile(string path, IEnumerable<string> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var builder = new StringBuilder();
        foreach (var user in users)
        {
            builder.Append(user).Append(':').Append(MqttPasswordFile.HashPassword(PasswordOf(user))).Append('\n');
        }

        DemoPki.WritePrivate(path, builder.ToString());
        return path;
    }

    /// <summary>Writes ACL lines to <paramref name="path"/>; returns the path.</summary>
    public static string WriteAcl(string path, IEnumerable<string> lines)
    {
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>A readable list of users and passwords for people trying the demo by hand (mosquitto_sub --cafile ...).</summary>
    public string Describe(IEnumerable<string> users) =>
        string.Join('\n', users.Select(u => string.Create(CultureInfo.InvariantCulture, $"{u} {PasswordOf(u)}"))) + "\n";
}
