using System.CommandLine;
using EdgeHub.Cli.Commands;

// One executable for every subcommand; ./edgehub builds it once and dispatches here.
var root = new RootCommand("EdgeHub: edge-to-cloud learning for clinical heart monitoring")
{
    DemoCommand.Create(),
    HubCommand.Create(),
    EdgeCommand.Create(),
    BrokerCommand.Create(),
    SimCommand.Create(),
    CtlCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
};
try
{
    return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    // Every command exits non-zero with a one-line reason; the stack trace is for logs, not for people.
    Console.Error.WriteLine($"edgehub: {ex.Message}");
    return 1;
}
