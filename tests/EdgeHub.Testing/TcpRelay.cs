using System.Net;
using System.Net.Sockets;

namespace EdgeHub.Testing;

/// <summary>
/// A TCP relay on a fixed loopback port in front of a service, for network partitions in tests: <see cref="Cut"/> drops
/// every relayed connection and refuses new ones (clients see the peer vanish, as when a link fails), <see cref="Heal"/>
/// accepts again; <see cref="DropReplies"/> makes the link half-open (requests still reach the service, its answers vanish).
/// The service behind it never notices anything but its clients going away.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _accepting;
    private Task? _acceptLoop;
    private long _connections;
    private volatile bool _dropReplies;

    /// <summary>Creates a relay from 127.0.0.1:<paramref name="port"/> to 127.0.0.1:<paramref name="targetPort"/> (not yet listening).</summary>
    public TcpRelay(int port, int targetPort)
    {
        Port = port;
        _targetPort = targetPort;
    }

    /// <summary>The relay's own port (clients connect here).</summary>
    public int Port { get; }

    /// <summary>True while the relay accepts and forwards.</summary>
    public bool IsOpen => _listener is not null;

    /// <summary>
    /// While true, bytes from the service back to its clients are swallowed (connections stay up): the client's requests
    /// take effect but it never hears so, as behind a half-failed link or a lost return path.
    /// </summary>
    public bool DropReplies
    {
        get => _dropReplies;
        set => _dropReplies = value;
    }

    /// <summary>Connections relayed since creation.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Starts accepting (idempotent).</summary>
    public void Heal()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _accepting = new CancellationTokenSource();
            _acceptLoop = AcceptLoopAsync(listener, _accepting.Token);
        }
    }

    /// <summary>Drops every relayed connection and stops accepting until <see cref="Heal"/>.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _accepting?.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var c in _open)
            {
                try
                {
                    // Reset, not a polite close: a failed link gives no FIN either.
                    c.Client.LingerState = new LingerOption(true, 0);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }

                c.Dispose();
            }

            _open.Clear();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Cut();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _accepting?.Dispose();
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _targetPort, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // The service behind is down: the client sees its connection close, as it would without the relay.
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (_gate)
            {
                if (ct.IsCancellationRequested)
                {
                    inbound.Dispose();
                    outbound.Dispose();
                    return;
                }

                _open.Add(inbound);
                _open.Add(outbound);
            }

            Interlocked.Increment(ref _connections);
            _ = PumpPairAsync(inbound, outbound);
        }
    }

    private async Task PumpPairAsync(TcpClient a, TcpClient b)
    {
        try
        {
            await Task.WhenAny(PumpAsync(a.GetStream(), b.GetStream(), null), PumpAsync(b.GetStream(), a.GetStream(), this)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(a);
                _open.Remove(b);
            }

            a.Dispose();
            b.Dispose();
        }
    }

    /// <param name="replies">The relay when this pump carries the service's replies (subject to <see cref="DropReplies"/>).</param>
    private static async Task PumpAsync(NetworkStream from, NetworkStream to, TcpRelay? replies)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                if (replies is { _dropReplies: true })
                {
                    continue;
                }

                await to.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
    }
}
