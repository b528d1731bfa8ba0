using System.Text;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Security.Tests.Support;

/// <summary>
/// Inputs for the broker fuzz run: valid MQTT sessions (CONNECT with a real login, then PUBLISH, SUBSCRIBE, PINGREQ,
/// UNSUBSCRIBE, DISCONNECT, in 3.1.1 and 5.0) as byte streams, and mutations of them; plus inputs that are hostile by
/// construction (reserved packet types, oversize and over-long remaining lengths).
/// </summary>
public static class FuzzInputs
{
    /// <summary>One valid session for <paramref name="user"/>: the packets, encoded for <paramref name="version"/>.</summary>
    public static byte[] ValidSession(MqttProtocolVersion version, string clientId, string user, string password, string deviceId)
    {
        using var encoder = new MqttPacketEncoder(version);
        var stream = new MemoryStream();
        void Add(MqttPacket p) => stream.Write(encoder.Encode(p));
        Add(new MqttConnectPacket
        {
            ProtocolVersion = version,
            ClientId = clientId,
            CleanStart = true,
            KeepAlive = 30,
            Username = user,
            Password = Encoding.UTF8.GetBytes(password),
        });
        Add(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(Topics.Feedback(deviceId), MqttQos.AtLeastOnce)] });
        Add(new MqttPublishPacket { Topic = Topics.Telemetry(deviceId), Qos = MqttQos.AtLeastOnce, PacketId = 2, Payload = new byte[64] });
        Add(new MqttPublishPacket { Topic = Topics.Telemetry(deviceId), Qos = MqttQos.ExactlyOnce, PacketId = 3, Payload = "{\"x\":1}"u8.ToArray(), Retain = true });
        Add(new MqttPingReqPacket());
        Add(new MqttUnsubscribePacket { PacketId = 4, TopicFilters = [Topics.Feedback(deviceId)] });
        Add(new MqttDisconnectPacket());
        return stream.ToArray();
    }

    /// <summary>A mutation of <paramref name="seed"/>: flipped bytes, truncation, insertion, duplication or a rewritten length.</summary>
    public static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        var edits = random.Next(1, 5);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.InsertRange(at, RandomBytes(random, random.Next(1, 16))); break;
                case 4: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, random.Next(1, 40)))); break;
                default: bytes[Math.Min(1, bytes.Count - 1)] = (byte)random.Next(256); break; // the first packet's remaining length
            }
        }

        return [.. bytes];
    }

    /// <summary>Random bytes of random length.</summary>
    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Inputs every broker must answer by closing the connection (the client keeps its side open).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Hostile(Random random)
    {
        yield return ("reserved packet type 0", [0x00, 0x00]);
        yield return ("AUTH before CONNECT", [0xF0, 0x00]);
        yield return ("PUBLISH before CONNECT", [0x30, 0x05, 0x00, 0x01, (byte)'a', 0x41, 0x42]);
        yield return ("remaining length 268,435,455 (oversize)", [0x10, 0xFF, 0xFF, 0xFF, 0x7F]);
        yield return ("remaining length with a fifth byte (malformed)", [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        yield return ("CONNECT with protocol name 'XQTT'", [0x10, 0x0D, 0x00, 0x04, (byte)'X', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, (byte)'x']);
        yield return ("CONNECT with protocol level 9", [0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x09, 0x02, 0x00, 0x3C, 0x00, 0x01, (byte)'x']);
        yield return ("CONNECT with reserved flag set", [0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x03, 0x00, 0x3C, 0x00, 0x01, (byte)'x']);
        yield return ("CONNECT followed by a second CONNECT", [0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, (byte)'x',
            0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, (byte)'x']);
        yield return ("HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        yield return ("TLS ClientHello on the plain port", [0x16, 0x03, 0x01, 0x00, 0x2F, 0x01, 0x00, 0x00, 0x2B, 0x03, 0x03]);
        for (var i = 0; i < 8; i++)
        {
            // Random garbage whose first byte is a packet type no client may open with.
            var bytes = RandomBytes(random, random.Next(2, 300));
            bytes[0] = (byte)((random.Next(2, 16) << 4) | random.Next(16));
            yield return ($"random bytes #{i} (first byte 0x{bytes[0]:x2})", bytes);
        }
    }
}
