namespace EdgeHub.Hub.Hosting;

/// <summary>What /readyz reports: the node is ready when its catalog is migrated and its MQTT client is connected.</summary>
public sealed class HubReadiness
{
    private volatile bool _catalog;
    private volatile bool _mqtt;

    /// <summary>True after migrations and region set-up finished.</summary>
    public bool CatalogReady
    {
        get => _catalog;
        set => _catalog = value;
    }

    /// <summary>True while the MQTT client is connected and subscribed.</summary>
    public bool MqttConnected
    {
        get => _mqtt;
        set => _mqtt = value;
    }

    /// <summary>Both.</summary>
    public bool Ready => _catalog && _mqtt;
}
