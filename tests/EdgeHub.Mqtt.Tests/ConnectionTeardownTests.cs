using EdgeHub.Mqtt.Packets;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt.Tests;

/// <summary>
/// Tearing down a connection whose write loop is still busy: the peer has left (DISCONNECT) but keeps draining a large
/// backlog slowly, so two seconds later the broker aborts the socket while the loop is encoding. The loop's pooled
/// encode buffer must go back to the shared pool only after the loop has ended; returned earlier, the loop wrote into
/// (or returned again) an array another renter owned — seen as one client receiving another message's payload.
/// </summary>
public sealed class ConnectionTeardownTests
{
    [Fact]
    public async Task PeerLeavesWithLargeBacklog_WriteLoopEndsBeforeItsBuffersAreReturned()
    {
        const int Subscribers = 4, Messages = 3000, Size = 4096;
        var errors = new ErrorCollector();
        using var logging = LoggerFactory.Create(b => b.AddProvider(errors).SetMinimumLevel(LogLevel.Error));
        var broker = new MqttBroker(new MqttBrokerOptions { Port = 0 }, logging);
        await broker.StartAsync();
        await using (broker)
        {
            var raws = new List<RawConnection>();
            try
            {
                for (var i = 0; i < Subscribers; i++)
                {
                    var raw = await RawConnection.ConnectAsync(broker.Port, "slow-" + i);
                    raws.Add(raw);
                    await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("load/#", MqttQos.AtMostOnce)] });
                    Assert.IsType<MqttSubAckPacket>(await raw.ReadAsync());
                }
                await using (var publisher = TestSupport.Client(broker.Port, "loader"))
                {
                    await publisher.ConnectAsync();
                    var payload = new byte[Size];
                    for (var i = 0; i < Messages; i++)
                    {
                        await publisher.PublishAsync("load/x", payload, MqttQos.AtMostOnce);
                    }
                    // A QoS 1 publish behind them: once acknowledged, the broker has routed all of the QoS 0 ones.
                    await publisher.PublishAsync("load/end", payload, MqttQos.AtLeastOnce).AsTask().WithTimeout("routing the backlog");
                }
                var endedBefore = broker.ConnectionsEnded;
                // Each peer leaves, then keeps reading at ~3 MB/s: its backlog (~12 MB) outlasts the broker's 2-s grace.
                var drains = raws.Select(async raw =>
                {
                    await raw.SendAsync(new MqttDisconnectPacket());
                    var chunk = new byte[16 * 1024];
                    while (true)
                    {
                        int n;
                        try
                        {
                            n = await raw.Stream.ReadAsync(chunk);
                        }
                        catch (IOException)
                        {
                            return;
                        }
                        if (n == 0)
                        {
                            return;
                        }
                        await Task.Delay(5); // pacing a slow reader, not synchronisation
                    }
                }).ToArray();
                await Task.WhenAll(drains).WithTimeout("the broker closing the slow connections", TimeSpan.FromSeconds(30));
                await TestSupport.WaitUntilAsync(() => broker.ConnectionsEnded - endedBefore >= Subscribers, "teardown of every slow connection");
            }
            finally
            {
                foreach (var raw in raws)
                {
                    await raw.DisposeAsync();
                }
            }
        }
        Assert.True(errors.Errors.IsEmpty, string.Join("\n", errors.Errors));
    }
}
