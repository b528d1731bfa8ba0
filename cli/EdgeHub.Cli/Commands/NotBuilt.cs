using System.CommandLine;

namespace EdgeHub.Cli.Commands;

/// <summary>A subcommand whose part has not landed yet: it says so and exits 2, never pretends output.</summary>
internal static class NotBuilt
{
    public static Command Create(string name, string description, string part)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(_ =>
        {
            Console.Error.WriteLine($"edgehub {name}: not built yet ({part})");
            return 2;
        });
        return command;
    }
}
