using Microsoft.Extensions.Logging;

namespace EdgeHub.Simulator;

/// <summary>Fault controllers: disconnect storms and bursts (clock skew, malformed and duplicate frames act per frame).</summary>
public sealed partial class Fleet
{
    private Task StartFaults(CancellationToken ct)
    {
        var faults = _options.Faults;
        var tasks = new List<Task>(2);
        if (faults.DisconnectStormEverySeconds > 0)
        {
            tasks.Add(Task.Run(() => StormLoopAsync(ct), CancellationToken.None));
        }

        if (faults.BurstEverySeconds > 0)
        {
            tasks.Add(Task.Run(() => BurstLoopAsync(ct), CancellationToken.None));
        }

        return Task.WhenAll(tasks);
    }

    /// <summary>Every period, a random share of connections drops at once and comes back after a random delay.</summary>
    private async Task StormLoopAsync(CancellationToken ct)
    {
        var faults = _options.Faults;
        var rng = SimRandom.ForStream(_options.Seed, 0, purpose: 5);
        var storms = new List<Task>();
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(faults.DisconnectStormEverySeconds), ct).ConfigureAwait(false);
                var hit = 0;
                foreach (var connection in _connections)
                {
                    if (!connection.Stormed && connection.IsUp && rng.Chance(faults.DisconnectFraction))
                    {
                        hit++;
                        storms.Add(StormOneAsync(connection, TimeSpan.FromSeconds(rng.Uniform(0, faults.ReconnectWithinSeconds)), ct));
                    }
                }

                Log.Storm(_logger, hit, _connections.Length);
                storms.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(storms).ConfigureAwait(false);
    }

    private static async Task StormOneAsync(DeviceConnection connection, TimeSpan downFor, CancellationToken ct)
    {
        try
        {
            await connection.DropAsync(ct).ConfigureAwait(false);
            await Task.Delay(downFor, ct).ConfigureAwait(false);
            // The connection's Connected event counts the reconnect.
            await connection.ConnectAsync(5, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            connection.Stormed = false;
        }
    }

    /// <summary>Every period, a random share of devices holds its frames for a while, then sends them all at once.</summary>
    private async Task BurstLoopAsync(CancellationToken ct)
    {
        var faults = _options.Faults;
        var rng = SimRandom.ForStream(_options.Seed, 0, purpose: 6);
        var holdTicks = (long)(faults.BurstHoldSeconds * System.Diagnostics.Stopwatch.Frequency);
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(faults.BurstEverySeconds), ct).ConfigureAwait(false);
                var until = System.Diagnostics.Stopwatch.GetTimestamp() + holdTicks;
                foreach (var device in _devices)
                {
                    if (rng.Chance(faults.BurstFraction))
                    {
                        // Read by the device's scheduler loop; a torn read of a long is not possible on 64-bit.
                        device.HoldUntil = until;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
