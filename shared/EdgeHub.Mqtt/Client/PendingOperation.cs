using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Mqtt.Client;

/// <summary>
/// A publication, subscription or unsubscription awaiting its acknowledgement (or, for QoS 0, its write). Completing it
/// releases the pending-publish slot and the in-flight slot it holds.
/// </summary>
internal sealed class PendingOperation
{
    private readonly MqttClient _client;
    // QoS 0 publications are not awaited beyond the enqueue, so they carry no completion source.
    private readonly TaskCompletionSource<MqttPacket?>? _tcs;
    private int _finished;

    public PendingOperation(MqttClient client, MqttPacket packet, long sequence, bool holdsPublishSlot)
    {
        _client = client;
        Packet = packet;
        Sequence = sequence;
        HoldsPublishSlot = holdsPublishSlot;
        if (!IsQos0)
        {
            _tcs = new TaskCompletionSource<MqttPacket?>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public MqttPacket Packet { get; }
    public long Sequence { get; }
    public bool HoldsPublishSlot { get; }
    /// <summary>Granted a slot of the broker's receive maximum (set under the client's lock when it goes out).</summary>
    public bool HoldsInflightSlot { get; set; }
    /// <summary>Written at least once (a resend carries DUP).</summary>
    public bool Sent { get; private set; }
    /// <summary>QoS 2: PUBREC received, PUBREL is what must be (re)sent.</summary>
    public bool AwaitingComp { get; set; }
    /// <summary>QoS 2: PUBREL was resent after a reconnect (the broker may already have completed the exchange).</summary>
    public bool PubRelResent { get; set; }
    public bool IsFinished => Volatile.Read(ref _finished) != 0;
    public Task<MqttPacket?> Task => _tcs?.Task ?? System.Threading.Tasks.Task.FromResult<MqttPacket?>(null);

    public bool IsQos0 => Packet is MqttPublishPacket { Qos: MqttQos.AtMostOnce };

    public void OnWritten()
    {
        Sent = true;
        if (IsQos0)
        {
            Succeed(null);
        }
    }

    public void Succeed(MqttPacket? ack)
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _client.Release(this);
            _tcs?.TrySetResult(ack);
        }
    }

    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _client.Release(this);
            _tcs?.TrySetException(error);
        }
    }

    public void ReleaseIfQos0()
    {
        if (IsQos0)
        {
            Fail(new MqttException("QoS 0 message dropped"));
        }
    }
}
