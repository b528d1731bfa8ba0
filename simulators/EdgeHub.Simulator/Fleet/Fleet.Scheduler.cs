using System.Buffers;
using System.Diagnostics;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Simulator;

/// <summary>The scheduler loops: render, encode and publish each device's frame when it falls due.</summary>
public sealed partial class Fleet
{
    /// <summary>
    /// One loop over a share of the devices. Devices in a share are ordered by their stagger offset and all have the same
    /// period, so they fall due in a fixed cyclic order: the loop walks a cursor around the share, publishing every device
    /// whose frame end has passed, then sleeps until the next one is due. A loop that falls behind publishes late rather
    /// than skipping (frames are the devices' real measurements) and counts the lag.
    /// </summary>
    private async Task RunLoopAsync(VirtualDevice[] devices, long t0, long end, long runStartMicros, CancellationToken ct)
    {
        var periodTicks = Stopwatch.Frequency / _options.FramesPerSecond;
        var beats = _truthWriter is not null && _options.TruthBeats ? new List<BeatMark>(16) : null;
        var episodes = new List<EpisodeOccurrence>(4);
        var faultRng = SimRandom.ForStream(_options.Seed, devices[0].Index, purpose: 4);
        var corrupt = new byte[devices[0].Buffer.Length];
        var cursor = 0;
        while (!ct.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                return;
            }

            long due;
            var produced = 0;
            while (true)
            {
                var device = devices[cursor];
                due = t0 + (long)(((device.FramesProduced + 1) * periodTicks) + (device.OffsetSeconds * Stopwatch.Frequency));
                if (due > now || due >= end)
                {
                    break;
                }

                Stats.RecordLag((long)((now - due) * 1_000_000.0 / Stopwatch.Frequency));
                try
                {
                    ProduceAndSend(device, runStartMicros, beats, episodes, ref faultRng, corrupt, now);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One device's trouble must not stop the fleet.
                    Interlocked.Increment(ref Stats._publishErrors);
                    Log.DeviceFailed(_logger, device.DeviceId, ex.Message);
                }

                cursor = cursor + 1 == devices.Length ? 0 : cursor + 1;
                if (++produced % 64 == 0)
                {
                    now = Stopwatch.GetTimestamp();
                }
            }

            if (due >= end)
            {
                return;
            }

            var wait = (due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(wait, 1, 50)), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void ProduceAndSend(VirtualDevice device, long runStartMicros, List<BeatMark>? beats, List<EpisodeOccurrence> episodes,
        ref SimRandom faultRng, byte[] corrupt, long now)
    {
        var first = device.FramesProduced == 0;
        var t0 = device.OffsetSeconds + ((double)device.Source.SamplesGenerated / device.Source.SampleRate);
        beats?.Clear();
        device.Produce(runStartMicros, _options.FramesPerSecond, beats);
        if (_truthWriter is { } writer)
        {
            var t1 = device.OffsetSeconds + ((double)device.Source.SamplesGenerated / device.Source.SampleRate);
            WriteTruth(writer, device, runStartMicros, beats, episodes, t0, t1, first);
        }

        var faults = _options.Faults;
        var connection = device.Connection!;
        if (!connection.IsUp || now < device.HoldUntil)
        {
            // Offline or bursting: the device keeps its frames and sends them later, as a monitor with a buffer does.
            Interlocked.Increment(ref Stats._framesQueued);
            if (!device.Hold())
            {
                Interlocked.Increment(ref Stats._framesDropped);
            }

            return;
        }

        while (device.TryDequeueHeld(out var held))
        {
            Send(device, held.Buffer, held.Length, held.Seq, pooled: true);
        }

        if (faults.MalformedRate > 0 && faultRng.Chance(faults.MalformedRate))
        {
            var length = device.Corrupt(ref faultRng, corrupt);
            Interlocked.Increment(ref Stats._malformedSent);
            Send(device, corrupt.AsSpan(0, length).ToArray(), length, null, pooled: false);
            return;
        }

        Send(device, device.Buffer, device.Length, device.Frame.Sequence, pooled: false);
        if (faults.DuplicateRate > 0 && faultRng.Chance(faults.DuplicateRate))
        {
            Interlocked.Increment(ref Stats._duplicatesSent);
            Send(device, device.Buffer, device.Length, null, pooled: false);
        }
    }

    private static void WriteTruth(TruthWriter writer, VirtualDevice device, long runStartMicros, List<BeatMark>? beats,
        List<EpisodeOccurrence> episodes, double t0, double t1, bool first)
    {
        if (beats is { Count: > 0 })
        {
            writer.WriteBeats(device.DeviceId, runStartMicros + (long)Math.Round(device.OffsetSeconds * 1e6), device.Source.SampleRate, beats);
        }

        episodes.Clear();
        device.Truth.EpisodesOverlapping(t0, t1, episodes);
        foreach (var e in episodes)
        {
            // Each episode once: when it starts, or in the first frame if it was already under way.
            if ((e.Start >= t0 && e.Start < t1) || (first && e.Start < t0))
            {
                writer.WriteEpisode(device.DeviceId, e.Kind, runStartMicros + (long)Math.Round(e.Start * 1e6),
                    runStartMicros + (long)Math.Round(e.End * 1e6));
            }
        }
    }

    /// <summary>
    /// Publishes without waiting: QoS 0 usually completes at once; anything still pending (QoS 1, a full client queue) is
    /// observed in the background, keeping its buffer alive until the client has copied it.
    /// </summary>
    private void Send(VirtualDevice device, byte[] buffer, int length, uint? seq, bool pooled)
    {
        if (seq is { } s)
        {
            device.MarkSent(s);
        }

        ValueTask pending;
        try
        {
            pending = device.Connection!.PublishAsync(device.Topic, buffer.AsMemory(0, length), _options.Qos);
        }
        catch (Exception ex) when (ex is MqttException or InvalidOperationException or ObjectDisposedException)
        {
            Interlocked.Increment(ref Stats._publishErrors);
            ReturnIfPooled(buffer, pooled);
            return;
        }

        Interlocked.Increment(ref Stats._framesSent);
        Interlocked.Add(ref Stats._bytesSent, length);
        if (pending.IsCompletedSuccessfully)
        {
            ReturnIfPooled(buffer, pooled);
            return;
        }

        if (ReferenceEquals(buffer, device.Buffer))
        {
            device.DetachBuffer();
        }

        _ = ObserveAsync(pending, buffer, pooled);
    }

    private async Task ObserveAsync(ValueTask pending, byte[] buffer, bool pooled)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttException or InvalidOperationException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Interlocked.Increment(ref Stats._publishErrors);
        }
        finally
        {
            ReturnIfPooled(buffer, pooled);
        }
    }

    private static void ReturnIfPooled(byte[] buffer, bool pooled)
    {
        if (pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
