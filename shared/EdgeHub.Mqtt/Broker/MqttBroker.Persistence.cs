using EdgeHub.Mqtt.Broker;

namespace EdgeHub.Mqtt;

/// <summary>Persistence hooks (append-only logs under <see cref="MqttBrokerOptions.PersistenceDirectory"/>).</summary>
public sealed partial class MqttBroker
{
    private Task LoadPersistenceAsync(CancellationToken ct)
    {
        _ = ct;
        _ = Options;
        return Task.CompletedTask;
    }

    private void ClosePersistence() => _ = Options;

    private void PersistSession(BrokerSession session) => _ = (session, Options);

    private void ForgetSession(BrokerSession session) => _ = (session, Options);

    private void PersistRetained(BrokerMessage message) => _ = (message, Options);
}
