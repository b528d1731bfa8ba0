using EdgeHub.Mqtt;
using MQTTnet;

namespace EdgeHub.Simulator;

/// <summary>
/// Where and how the fleet's devices reach the broker, turned into MQTTnet client options per connection: protocol
/// version, keep-alive, TLS (validated by our <see cref="MqttTlsOptions"/> rules, so a private CA file works as with our
/// client) and the per-device login brokers with ACLs key on.
/// </summary>
internal sealed class DeviceEndpoint(FleetOptions options)
{
    private const int KeepAliveSeconds = 60;

    public MQTTnet.MqttClientOptions ClientOptions(string clientId, string firstDeviceId)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.BrokerHost, options.BrokerPort)
            .WithClientId(clientId)
            .WithProtocolVersion(options.ProtocolVersion == MqttProtocolVersion.V311
                ? MQTTnet.Formatter.MqttProtocolVersion.V311
                : MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithCleanStart(true);
        if (options.DevicePassword is { } password)
        {
            builder.WithCredentials(firstDeviceId, password(firstDeviceId));
        }

        if (options.Tls is { } tls)
        {
            var ssl = tls.ToSslOptions(options.BrokerHost);
            var validate = ssl.RemoteCertificateValidationCallback!;
            builder.WithTlsOptions(t =>
            {
                t.UseTls()
                    .WithTargetHost(ssl.TargetHost)
                    .WithSslProtocols(ssl.EnabledSslProtocols)
                    .WithCertificateValidationHandler(e => validate(this, e.Certificate, e.Chain, e.SslPolicyErrors));
                if (tls.ClientCertificate is { } certificate)
                {
                    t.WithClientCertificates([certificate]);
                }
            });
        }

        return builder.Build();
    }
}
