using System.Buffers;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Malformed input fails with the right reason code, never with anything but <see cref="MqttProtocolException"/>.</summary>
public sealed class HostileInputTests
{
    private static MqttReasonCode Fail(byte[] bytes, MqttProtocolVersion version = MqttProtocolVersion.V500, int maxPacket = 1 << 20)
    {
        using var decoder = new MqttPacketDecoder(version) { MaximumPacketSize = maxPacket };
        var ex = Assert.Throws<MqttProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            decoder.TryRead(ref reader, out _);
        });
        return ex.ReasonCode;
    }

    [Fact]
    public void RemainingLength_FiveBytes_Malformed() =>
        Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]));

    [Fact]
    public void PacketTooLarge_RejectedFromHeaderBeforeBody() =>
        // Only the fixed header is present: the size check must not wait for the 2 MB body.
        Assert.Equal(MqttReasonCode.PacketTooLarge, Fail([0x30, 0x80, 0x80, 0x80, 0x01], maxPacket: 1024));

    [Fact]
    public void Publish_Qos3_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x36, 5, 0, 1, (byte)'a', 0, 1]));

    [Fact]
    public void Publish_WildcardTopic_TopicNameInvalid() => Assert.Equal(MqttReasonCode.TopicNameInvalid, Fail([0x30, 4, 0, 1, (byte)'#', 0]));

    [Fact]
    public void Publish_DupAtQos0_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x38, 4, 0, 1, (byte)'a', 0]));

    [Fact]
    public void String_WithNul_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x30, 5, 0, 2, (byte)'a', 0, 0]));

    [Fact]
    public void String_InvalidUtf8_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x30, 5, 0, 2, 0xC3, 0x28, 0]));

    [Fact]
    public void String_LengthPastEnd_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x30, 3, 0, 9, (byte)'a']));

    [Fact]
    public void Subscribe_WrongFixedHeaderFlags_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x80, 6, 0, 1, 0, 1, (byte)'a', 0]));

    [Fact]
    public void Subscribe_NoFilters_ProtocolError() => Assert.Equal(MqttReasonCode.ProtocolError, Fail([0x82, 3, 0, 1, 0]));

    [Fact]
    public void Subscribe_ReservedOptionBits_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x82, 7, 0, 1, 0, 0, 1, (byte)'a', 0xC0]));

    [Fact]
    public void Property_NotAllowedInPacket_ProtocolError() =>
        // PUBACK carrying a Topic Alias (0x23) property.
        Assert.Equal(MqttReasonCode.ProtocolError, Fail([0x40, 7, 0, 1, 0x00, 3, 0x23, 0, 1]));

    [Fact]
    public void Property_Duplicated_ProtocolError() =>
        // PUBLISH with two Content Type properties.
        Assert.Equal(MqttReasonCode.ProtocolError, Fail([0x30, 12, 0, 1, (byte)'a', 8, 0x03, 0, 1, (byte)'x', 0x03, 0, 1, (byte)'y']));

    [Fact]
    public void Property_LengthPastEnd_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x30, 5, 0, 1, (byte)'a', 50, 1]));

    [Fact]
    public void Connect_ReservedFlag_Malformed() =>
        Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x03, 0, 10, 0, 1, (byte)'c'], MqttProtocolVersion.V311));

    [Fact]
    public void Connect_UnknownLevel_UnsupportedProtocolVersion() =>
        Assert.Equal(MqttReasonCode.UnsupportedProtocolVersion, Fail([0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 9, 0x02, 0, 10, 0, 1, (byte)'c']));

    [Fact]
    public void Connect_V311PasswordWithoutUser_Malformed() =>
        Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x10, 16, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x42, 0, 10, 0, 1, (byte)'c', 0, 1, (byte)'p'], MqttProtocolVersion.V311));

    [Fact]
    public void ReservedPacketType0_Malformed() => Assert.Equal(MqttReasonCode.MalformedPacket, Fail([0x00, 0]));

    [Fact]
    public void MutationFuzz_EveryValidPacket_OnlyProtocolExceptions()
    {
        // Flip, truncate-in-place and overwrite bytes of every sample; decoding may succeed or throw MqttProtocolException, nothing else.
        var random = new Random(1234);
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            using var encoder = new MqttPacketEncoder(version);
            foreach (var (_, packet) in CodecTests.Samples(version))
            {
                var original = encoder.Encode(packet);
                for (var round = 0; round < 300; round++)
                {
                    var mutated = (byte[])original.Clone();
                    var edits = 1 + random.Next(3);
                    for (var e = 0; e < edits; e++)
                    {
                        var at = random.Next(Math.Min(mutated.Length, 64));
                        mutated[at] = random.Next(3) switch { 0 => (byte)(mutated[at] ^ (1 << random.Next(8))), 1 => (byte)random.Next(256), _ => 0xFF };
                    }
                    using var decoder = new MqttPacketDecoder(version) { MaximumPacketSize = 1 << 20 };
                    try
                    {
                        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(mutated));
                        while (decoder.TryRead(ref reader, out _))
                        {
                        }
                    }
                    catch (MqttProtocolException)
                    {
                    }
                }
            }
        }
    }
}
