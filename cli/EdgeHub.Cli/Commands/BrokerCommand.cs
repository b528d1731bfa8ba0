using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class BrokerCommand
{
    public static Command Create() => NotBuilt.Create("broker", "the embedded MQTT broker, standalone", "EdgeHub.Mqtt, issue 11");
}
