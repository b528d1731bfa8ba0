using System.Globalization;
using EdgeHub.Mqtt;

// Usage: EdgeHub.Mqtt.BrokerHost --persistence DIR [--port P] [--max-inflight N] [--password-file FILE]
//        [--max-seconds S]
// Prints "listening on port P" once accepting, then runs until killed (or S seconds, default 300, so that no orphan
// outlives a test runner that died before killing it).
var options = new MqttBrokerOptions { Port = 0 };
var maxSeconds = 300;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--persistence":
            options.PersistenceDirectory = value;
            break;
        case "--port":
            options.Port = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--max-inflight":
            options.MaxInflightMessages = ushort.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--max-seconds":
            maxSeconds = int.Parse(value, CultureInfo.InvariantCulture);
            break;
        case "--password-file":
            options.PasswordFile = value;
            break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}");
            return 2;
    }
}
await using var broker = new MqttBroker(options);
await broker.StartAsync();
Console.WriteLine($"listening on port {broker.Port}");
await Console.Out.FlushAsync();
await Task.Delay(TimeSpan.FromSeconds(maxSeconds));
return 0;
