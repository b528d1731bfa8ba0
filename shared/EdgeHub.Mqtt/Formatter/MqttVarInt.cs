namespace EdgeHub.Mqtt.Formatter;

/// <summary>Variable byte integer (§1.5.5): 7 bits per byte, at most four bytes, maximum 268,435,455.</summary>
public static class MqttVarInt
{
    /// <summary>Largest encodable value.</summary>
    public const uint MaxValue = 268_435_455;

    /// <summary>Number of bytes needed to encode <paramref name="value"/>.</summary>
    public static int Size(uint value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    /// <summary>Writes <paramref name="value"/> and returns the number of bytes written.</summary>
    public static int Write(Span<byte> destination, uint value)
    {
        var i = 0;
        do
        {
            var b = (byte)(value % 128);
            value /= 128;
            if (value > 0)
            {
                b |= 0x80;
            }
            destination[i++] = b;
        }
        while (value > 0);
        return i;
    }
}
