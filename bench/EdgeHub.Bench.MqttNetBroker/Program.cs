using System.Globalization;
using System.Net;
using MQTTnet.Server;

// MQTTnet 5's server as a broker process for bench mqtt, configured like the other two brokers under test: loopback
// listener, no persistence (MQTTnet keeps sessions in memory only, never on disk), at most --queue messages pending per
// client with new messages dropped beyond it (as ours and mosquitto's max_queued_messages drop). MQTTnet has no setting
// for the outbound in-flight window; it is the one limit the three cannot share, and the report says so.
//
// Usage: EdgeHub.Bench.MqttNetBroker --port P [--queue N] [--max-seconds S]
// Prints "listening on port P" once accepting, then runs until killed or S seconds (default 900) have passed, so no orphan
// outlives a bench that died before killing it.
var port = 0;
var queue = 10_000;
var maxSeconds = 900;
for (var i = 0; i < args.Length; i += 2)
{
    if (i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) || value < 0)
    {
        Console.Error.WriteLine($"option {args[i]} needs a non-negative integer; usage: --port P [--queue N] [--max-seconds S]");
        return 2;
    }
    switch (args[i])
    {
        case "--port":
            port = value;
            break;
        case "--queue":
            queue = value;
            break;
        case "--max-seconds":
            maxSeconds = value;
            break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; usage: --port P [--queue N] [--max-seconds S]");
            return 2;
    }
}
if (port == 0)
{
    Console.Error.WriteLine("--port P is required (bench mqtt picks a free port and passes it)");
    return 2;
}

var options = new MqttServerOptionsBuilder()
    .WithDefaultEndpoint()
    .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
    .WithDefaultEndpointPort(port)
    .WithConnectionBacklog(1024)
    .WithPersistentSessions(true)
    .WithMaxPendingMessagesPerClient(queue)
    .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropNewMessage)
    .Build();
using var server = new MqttServerFactory().CreateMqttServer(options);
await server.StartAsync();
Console.WriteLine($"listening on port {port}");
await Console.Out.FlushAsync();
await Task.Delay(TimeSpan.FromSeconds(maxSeconds));
await server.StopAsync(new MqttServerStopOptions());
return 0;
