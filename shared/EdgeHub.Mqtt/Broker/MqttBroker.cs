using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using EdgeHub.Mqtt.Broker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Mqtt;

/// <summary>
/// Embedded MQTT 3.1.1 / 5.0 broker: TCP and TLS listeners, topic-tree routing, retained messages, wills, QoS 1/2 with
/// in-flight windows, persistent sessions with bounded offline queues, shared subscriptions, authentication and ACLs.
/// </summary>
public sealed partial class MqttBroker : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<BrokerConnection, byte> _connections = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private CancellationTokenSource? _stopping;
    private Timer? _housekeeping;
    private int _started;
    private long _connectionsEnded;

    /// <summary>Creates a broker; nothing listens until <see cref="StartAsync"/>.</summary>
    public MqttBroker(MqttBrokerOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("EdgeHub.Mqtt.Broker");
    }

    /// <summary>The options the broker was created with.</summary>
    public MqttBrokerOptions Options { get; }

    /// <summary>The bound plain TCP port (after <see cref="StartAsync"/>); -1 when disabled.</summary>
    public int Port { get; private set; } = -1;

    /// <summary>The bound TLS port (after <see cref="StartAsync"/>); -1 when disabled.</summary>
    public int TlsPort { get; private set; } = -1;

    /// <summary>Currently open network connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Sessions held (connected or persisted).</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Subscriptions held across all sessions.</summary>
    public int SubscriptionCount => _subscriptions.Count;

    /// <summary>Retained messages held.</summary>
    public int RetainedCount => _retained.Count;

    /// <summary>Loads security and persisted state, then binds the listeners.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the broker is already started");
        }
        LoadSecurity();
        await LoadPersistenceAsync(ct).ConfigureAwait(false);
        _stopping = new CancellationTokenSource();
        if (Options.Port >= 0)
        {
            Port = Listen(Options.Port, tls: false);
        }
        if (Options.TlsPort >= 0)
        {
            if (Options.TlsCertificate is null)
            {
                throw new InvalidOperationException("TLS listener configured without a certificate: set MqttBrokerOptions.TlsCertificate (PEM cert + key)");
            }
            TlsPort = Listen(Options.TlsPort, tls: true);
        }
        _housekeeping = new Timer(_ => Housekeep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _logger.LogInformation("MQTT broker listening on {Address} port {Port} (TLS port {TlsPort})", Options.BindAddress, Port, TlsPort);
    }

    private int Listen(int port, bool tls)
    {
        var socket = new Socket(Options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(Options.BindAddress, port));
            socket.Listen(4096);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidOperationException($"cannot listen on {Options.BindAddress}:{port}: {ex.Message} (is another broker running there? pick another --port)", ex);
        }
        _listeners.Add(socket);
        _acceptLoops.Add(AcceptLoopAsync(socket, tls, _stopping!.Token));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private async Task AcceptLoopAsync(Socket listener, bool tls, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning("accept failed: {Message}", ex.Message);
                continue;
            }
            _ = ServeAsync(socket, tls, ct);
        }
    }

    private async Task ServeAsync(Socket socket, bool tls, CancellationToken ct)
    {
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(Options.ConnectTimeout);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = Options.TlsCertificate,
                    ClientCertificateRequired = Options.RequireClientCertificate,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }, timeout.Token).ConfigureAwait(false);
                stream = ssl;
            }
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            _logger.LogInformation("TLS handshake with {Remote} failed: {Message}", socket.RemoteEndPoint, ex.Message);
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var connection = new BrokerConnection(this, stream, socket.RemoteEndPoint, _loggerFactory.CreateLogger("EdgeHub.Mqtt.Broker.Connection"));
        _connections[connection] = 0;
        if (_connections.Count > Options.MaxConnections)
        {
            _logger.LogWarning("refusing {Remote}: connection limit {Max} reached", socket.RemoteEndPoint, Options.MaxConnections);
            connection.RefuseWhenConnecting = Protocol.MqttReasonCode.ServerBusy;
        }
        // Not awaited: this method's state machine would otherwise stay allocated for the connection's whole life.
        _ = connection.RunAsync();
    }

    /// <summary>Called by a connection when its teardown has finished.</summary>
    internal void OnConnectionEnded() => Interlocked.Increment(ref _connectionsEnded);

    /// <summary>Connections whose teardown has finished: both loops ended and their buffers were given back (tests).</summary>
    internal long ConnectionsEnded => Interlocked.Read(ref _connectionsEnded);

    /// <summary>Stops accepting, disconnects every client (v5: Server shutting down) and flushes persistence.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_stopping is null || _stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_housekeeping != null)
        {
            await _housekeeping.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Disconnect(Protocol.MqttReasonCode.ServerShuttingDown, "broker stopping");
        }
        var deadline = Task.Delay(TimeSpan.FromSeconds(5), ct);
        while (!_connections.IsEmpty && !deadline.IsCompleted)
        {
            await Task.WhenAny(Task.Delay(20, ct), deadline).ConfigureAwait(false);
        }
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }
        ClosePersistence();
        _logger.LogInformation("MQTT broker stopped");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping?.Dispose();
    }
}
