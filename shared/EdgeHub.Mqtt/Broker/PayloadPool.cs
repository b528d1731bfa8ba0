using System.Numerics;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// Arrays for message payloads in transit through the broker. A relay keeps thousands of payloads alive between the
/// publisher's read and the subscribers' writes, which the shared pool (a few dozen arrays per size) cannot absorb: its
/// overflow became garbage that had already been promoted by the time it died. Here each power-of-two size class from
/// 256 B to <see cref="BrokerMessage.MaxPooledPayload"/> keeps up to <see cref="BytesPerClass"/> (at most 8,192 arrays)
/// of free arrays, and <see cref="Trim"/> (once a second) gives half of what a class did not need since the last trim
/// back to the GC, so an idle broker does not keep a burst's worth of memory.
/// </summary>
internal static class PayloadPool
{
    /// <summary>Free bytes kept per size class (bounds the memory an idle broker holds after a burst).</summary>
    internal const int BytesPerClass = 32 << 20;

    private const int MinShift = 8;
    private static readonly int MaxShift = BitOperations.Log2((uint)BrokerMessage.MaxPooledPayload);
    private static readonly SizeClass[] s_classes = CreateClasses();

    private sealed class SizeClass(int size)
    {
        public readonly Lock Sync = new();
        public readonly byte[][] Free = new byte[Math.Min(8192, BytesPerClass / size)][];
        public readonly int Size = size;
        public int Count;
        /// <summary>Lowest <see cref="Count"/> since the last trim: arrays nobody needed.</summary>
        public int LowWater;
    }

    private static SizeClass[] CreateClasses()
    {
        var classes = new SizeClass[MaxShift - MinShift + 1];
        for (var i = 0; i < classes.Length; i++)
        {
            classes[i] = new SizeClass(1 << (MinShift + i));
        }
        return classes;
    }

    private static int ClassOf(int length) => length <= 1 << MinShift ? 0 : BitOperations.Log2((uint)length - 1) + 1 - MinShift;

    /// <summary>An array of at least <paramref name="length"/> bytes (1 ≤ length ≤ <see cref="BrokerMessage.MaxPooledPayload"/>).</summary>
    public static byte[] Rent(int length)
    {
        var c = s_classes[ClassOf(length)];
        lock (c.Sync)
        {
            if (c.Count > 0)
            {
                var array = c.Free[--c.Count];
                c.Free[c.Count] = null!;
                if (c.Count < c.LowWater)
                {
                    c.LowWater = c.Count;
                }
                return array;
            }
        }
        return GC.AllocateUninitializedArray<byte>(c.Size);
    }

    /// <summary>Gives an array from <see cref="Rent"/> back; beyond the class budget it is left to the GC.</summary>
    public static void Return(byte[] array)
    {
        var c = s_classes[ClassOf(array.Length)];
        if (c.Size != array.Length)
        {
            return; // not one of ours
        }
        lock (c.Sync)
        {
            if (c.Count < c.Free.Length)
            {
                c.Free[c.Count++] = array;
            }
        }
    }

    /// <summary>Releases half of each class's unused arrays (called periodically).</summary>
    public static void Trim()
    {
        foreach (var c in s_classes)
        {
            lock (c.Sync)
            {
                var drop = (c.LowWater + 1) / 2;
                for (var i = 0; i < drop; i++)
                {
                    c.Free[--c.Count] = null!;
                }
                c.LowWater = c.Count;
            }
        }
    }

    /// <summary>Free arrays held across all classes (tests).</summary>
    internal static long FreeBytes
    {
        get
        {
            long total = 0;
            foreach (var c in s_classes)
            {
                lock (c.Sync)
                {
                    total += (long)c.Count * c.Size;
                }
            }
            return total;
        }
    }
}
