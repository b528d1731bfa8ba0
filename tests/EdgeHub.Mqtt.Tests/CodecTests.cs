using System.Buffers;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Golden bytes, round trips of every packet in both versions, and framing over every split of the input.</summary>
public sealed class CodecTests
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous != null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    internal static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var bounds = new List<int> { 0 };
        bounds.AddRange(cuts.Where(c => c > 0 && c < data.Length));
        bounds.Add(data.Length);
        Segment? first = null, last = null;
        for (var i = 0; i + 1 < bounds.Count; i++)
        {
            // Copy each piece so no segment can see its neighbours' bytes.
            last = new Segment(data.AsSpan(bounds[i], bounds[i + 1] - bounds[i]).ToArray(), last);
            first ??= last;
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    public static TheoryData<string, MqttProtocolVersion> AllPackets()
    {
        var data = new TheoryData<string, MqttProtocolVersion>();
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            foreach (var name in Samples(version).Keys)
            {
                data.Add(name, version);
            }
        }
        return data;
    }

    internal static Dictionary<string, MqttPacket> Samples(MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        IReadOnlyList<KeyValuePair<string, string>>? user = v5 ? [new("k", "v"), new("ü", "☃")] : null;
        var samples = new Dictionary<string, MqttPacket>
        {
            ["connect-minimal"] = new MqttConnectPacket { ProtocolVersion = version, ClientId = "c1", KeepAlive = 30 },
            ["connect-full"] = new MqttConnectPacket
            {
                ProtocolVersion = version, ClientId = "device-Ω", CleanStart = false, KeepAlive = 65535, Username = "alice", Password = [1, 2, 3],
                Will = new MqttApplicationMessage
                {
                    Topic = "status/x", Payload = new byte[] { 9, 8 }, Qos = MqttQos.AtLeastOnce, Retain = true,
                    ContentType = v5 ? "text/plain" : null, ResponseTopic = v5 ? "r/t" : null, CorrelationData = v5 ? new byte[] { 5 } : default,
                    MessageExpiryInterval = v5 ? 60u : null, PayloadIsUtf8 = false, UserProperties = user,
                },
                WillDelayInterval = v5 ? 10u : 0u,
                SessionExpiryInterval = v5 ? 3600u : 0u,
                ReceiveMaximum = v5 ? (ushort)100 : ushort.MaxValue,
                MaximumPacketSize = v5 ? 1_000_000u : 0u,
                TopicAliasMaximum = v5 ? (ushort)10 : (ushort)0,
                RequestResponseInformation = v5,
                RequestProblemInformation = !v5,
                UserProperties = user,
            },
            ["connack"] = new MqttConnAckPacket
            {
                SessionPresent = true, ReasonCode = MqttReasonCode.Success,
                ReceiveMaximum = v5 ? (ushort)1000 : ushort.MaxValue, TopicAliasMaximum = v5 ? (ushort)1024 : (ushort)0,
                MaximumPacketSize = v5 ? 16u << 20 : 0, AssignedClientIdentifier = v5 ? "auto-1" : null, ServerKeepAlive = v5 ? (ushort)60 : null,
                ReasonString = v5 ? "welcome" : null, SharedSubscriptionAvailable = true, MaximumQos = v5 ? MqttQos.AtLeastOnce : MqttQos.ExactlyOnce,
                UserProperties = user,
            },
            ["connack-refused"] = new MqttConnAckPacket { ReasonCode = MqttReasonCode.BadUserNameOrPassword },
            ["publish-qos0"] = new MqttPublishPacket { Topic = "a/b", Payload = new byte[] { 1, 2, 3 } },
            ["publish-qos1-retain"] = new MqttPublishPacket { Topic = "a/b", PacketId = 7, Qos = MqttQos.AtLeastOnce, Retain = true, Payload = new byte[300] },
            ["publish-qos2-dup-props"] = new MqttPublishPacket
            {
                Topic = "ehub/v1/devices/d/telemetry", PacketId = 65535, Qos = MqttQos.ExactlyOnce, Dup = true, Payload = new byte[20000],
                ContentType = v5 ? "application/json" : null, ResponseTopic = v5 ? "resp" : null, CorrelationData = v5 ? new byte[] { 1, 2 } : default,
                MessageExpiryInterval = v5 ? 5u : null, TopicAlias = v5 ? (ushort)3 : (ushort)0, SubscriptionIdentifiers = v5 ? [1u, 268_435_455u] : null,
                PayloadIsUtf8 = false, UserProperties = user,
            },
            ["publish-empty"] = new MqttPublishPacket { Topic = "e", Qos = MqttQos.AtLeastOnce, PacketId = 1 },
            ["puback"] = new MqttPubAckPacket { PacketId = 1 },
            ["puback-code"] = new MqttPubAckPacket { PacketId = 2, ReasonCode = v5 ? MqttReasonCode.NoMatchingSubscribers : 0, ReasonString = v5 ? "none" : null, UserProperties = user },
            ["pubrec"] = new MqttPubRecPacket { PacketId = 3, ReasonCode = v5 ? MqttReasonCode.QuotaExceeded : 0 },
            ["pubrel"] = new MqttPubRelPacket { PacketId = 4 },
            ["pubcomp"] = new MqttPubCompPacket { PacketId = 5, ReasonCode = v5 ? MqttReasonCode.PacketIdentifierNotFound : 0 },
            ["subscribe"] = new MqttSubscribePacket
            {
                PacketId = 10, SubscriptionIdentifier = v5 ? 99u : 0u, UserProperties = user,
                Subscriptions =
                [
                    new MqttSubscription("a/+/c", MqttQos.ExactlyOnce) { NoLocal = v5, RetainAsPublished = v5, RetainHandling = v5 ? MqttRetainHandling.DoNotSend : 0, SubscriptionIdentifier = v5 ? 99u : 0u },
                    new MqttSubscription("$share/g/#", MqttQos.AtMostOnce) { SubscriptionIdentifier = v5 ? 99u : 0u },
                ],
            },
            ["suback"] = new MqttSubAckPacket { PacketId = 10, ReasonCodes = [MqttReasonCode.GrantedQos2, MqttReasonCode.Success, MqttReasonCode.UnspecifiedError], ReasonString = v5 ? "ok" : null },
            ["unsubscribe"] = new MqttUnsubscribePacket { PacketId = 11, TopicFilters = ["a/#", "b"], UserProperties = user },
            ["unsuback"] = new MqttUnsubAckPacket { PacketId = 11, ReasonCodes = v5 ? [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted] : [] },
            ["pingreq"] = MqttPingReqPacket.Instance,
            ["pingresp"] = MqttPingRespPacket.Instance,
            ["disconnect"] = new MqttDisconnectPacket(),
        };
        if (v5)
        {
            samples["disconnect-props"] = new MqttDisconnectPacket { ReasonCode = MqttReasonCode.SessionTakenOver, SessionExpiryInterval = 0, ReasonString = "bye", ServerReference = "other:1883", UserProperties = user };
            samples["auth"] = new MqttAuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, AuthenticationMethod = "SCRAM-SHA-1", AuthenticationData = [1, 2, 3], ReasonString = "more", UserProperties = user };
        }
        return samples;
    }

    private static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        using var encoder = new MqttPacketEncoder(version);
        return encoder.Encode(packet);
    }

    /// <summary>Decodes one packet and re-encodes it while the decoder (which owns a split payload's bytes) is alive.</summary>
    private static byte[] DecodeReencode(ReadOnlySequence<byte> input, MqttProtocolVersion version)
    {
        using var decoder = new MqttPacketDecoder(version);
        var reader = new SequenceReader<byte>(input);
        Assert.True(decoder.TryRead(ref reader, out var packet));
        Assert.Equal(input.Length, reader.Consumed);
        return Encode(packet!, version);
    }

    [Theory]
    [MemberData(nameof(AllPackets))]
    public void RoundTrip_EveryPacket_ReEncodesToSameBytes(string name, MqttProtocolVersion version)
    {
        var bytes = Encode(Samples(version)[name], version);
        var decoded = DecodeReencode(new ReadOnlySequence<byte>(bytes), version);
        Assert.Equal(bytes, decoded);
    }

    [Theory]
    [MemberData(nameof(AllPackets))]
    public void TryRead_EveryPrefix_IncompleteAndConsumesNothing(string name, MqttProtocolVersion version)
    {
        var bytes = Encode(Samples(version)[name], version);
        using var decoder = new MqttPacketDecoder(version);
        for (var length = 0; length < bytes.Length; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, length));
            Assert.False(decoder.TryRead(ref reader, out _), $"prefix of {length} bytes must be incomplete");
            Assert.Equal(0, reader.Consumed);
        }
    }

    [Theory]
    [MemberData(nameof(AllPackets))]
    public void TryRead_SplitAtEveryOffset_SamePacket(string name, MqttProtocolVersion version)
    {
        var bytes = Encode(Samples(version)[name], version);
        var step = Math.Max(1, bytes.Length / 200); // big payloads: a few hundred split points are plenty
        for (var cut = 1; cut < bytes.Length; cut += step)
        {
            Assert.Equal(bytes, DecodeReencode(Split(bytes, cut), version));
        }
    }

    [Theory]
    [MemberData(nameof(AllPackets))]
    public void TryRead_OneBytePerSegmentAndOversizedBuffer_SamePacket(string name, MqttProtocolVersion version)
    {
        var bytes = Encode(Samples(version)[name], version);
        if (bytes.Length <= 2000)
        {
            var cuts = Enumerable.Range(1, bytes.Length - 1).ToArray();
            Assert.Equal(bytes, DecodeReencode(Split(bytes, cuts), version));
        }
        // Oversized: the packet followed by the start of another one; exactly one packet is consumed.
        var twice = bytes.Concat(bytes.Take(bytes.Length - 1)).ToArray();
        using var decoder = new MqttPacketDecoder(version);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(twice));
        Assert.True(decoder.TryRead(ref reader, out _));
        Assert.Equal(bytes.Length, reader.Consumed);
        Assert.False(decoder.TryRead(ref reader, out _));
        Assert.Equal(bytes.Length, reader.Consumed);
    }

    [Fact]
    public void Decode_RepeatedAndAlternatingTopics_EachPublishGetsItsOwnTopic()
    {
        // The decoder reuses the previous topic string when the bytes repeat: same-length and non-ASCII topics must not alias.
        string[] topics = ["dev/a1/t", "dev/a1/t", "dev/a2/t", "dev/a1/t", "dév/1/t", "dév/1/t", "dèv/1/t", "x", "dev/a1/t"];
        using var encoder = new MqttPacketEncoder(MqttProtocolVersion.V500);
        using var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500) { ReusePublishPacket = true };
        foreach (var topic in topics)
        {
            var bytes = encoder.Encode(new MqttPublishPacket { Topic = topic, Payload = new byte[] { 1 } });
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            Assert.True(decoder.TryRead(ref reader, out var packet));
            Assert.Equal(topic, ((MqttPublishPacket)packet!).Topic);
        }
    }

    [Fact]
    public void Encode_V311Connect_MatchesGoldenBytes()
    {
        // MQTT 3.1.1 §3.1: "MQTT", level 4, flags clean session, keep alive 60, client id "abc".
        var bytes = Encode(new MqttConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "abc", KeepAlive = 60 }, MqttProtocolVersion.V311);
        Assert.Equal(new byte[] { 0x10, 15, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 60, 0, 3, (byte)'a', (byte)'b', (byte)'c' }, bytes);
    }

    [Fact]
    public void Encode_V5PublishQos1_MatchesGoldenBytes()
    {
        var bytes = Encode(new MqttPublishPacket { Topic = "a/b", Qos = MqttQos.AtLeastOnce, PacketId = 10, Payload = new byte[] { 0xFF } }, MqttProtocolVersion.V500);
        // 0x32 = PUBLISH QoS 1; remaining 9 = topic(2+3) + id(2) + props len(1) + payload(1).
        Assert.Equal(new byte[] { 0x32, 9, 0, 3, (byte)'a', (byte)'/', (byte)'b', 0, 10, 0, 0xFF }, bytes);
    }

    [Fact]
    public void Encode_V5SuccessPubAck_UsesShortForm()
    {
        // §3.4.2.1: reason code 0 without properties may be omitted (remaining length 2).
        Assert.Equal(new byte[] { 0x40, 2, 0, 5 }, Encode(new MqttPubAckPacket { PacketId = 5 }, MqttProtocolVersion.V500));
        Assert.Equal(new byte[] { 0x62, 2, 0, 5 }, Encode(new MqttPubRelPacket { PacketId = 5 }, MqttProtocolVersion.V500));
    }

    [Theory]
    [InlineData(0u, new byte[] { 0 })]
    [InlineData(127u, new byte[] { 0x7F })]
    [InlineData(128u, new byte[] { 0x80, 0x01 })]
    [InlineData(16_383u, new byte[] { 0xFF, 0x7F })]
    [InlineData(16_384u, new byte[] { 0x80, 0x80, 0x01 })]
    [InlineData(2_097_151u, new byte[] { 0xFF, 0xFF, 0x7F })]
    [InlineData(2_097_152u, new byte[] { 0x80, 0x80, 0x80, 0x01 })]
    [InlineData(268_435_455u, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void VarInt_SpecBoundaries_MatchTable(uint value, byte[] expected)
    {
        // MQTT 5 §1.5.5 table of variable byte integer sizes.
        var buffer = new byte[4];
        var n = MqttVarInt.Write(buffer, value);
        Assert.Equal(expected, buffer[..n]);
        Assert.Equal(expected.Length, MqttVarInt.Size(value));
    }
}
