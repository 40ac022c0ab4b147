using System.CommandLine;
using AddressInUse.Diagnosis;

namespace Course.Runner.Cli;

/// <summary>`course diagnose --port P`: who holds a TCP port, whether a server would bind it now, and what to do (the logic is the lab's <see cref="PortDiagnosis"/>, which chapter 11 calls too).</summary>
public sealed class DiagnoseCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "diagnose";

    /// <inheritdoc />
    public Command Create(CommandContext context)
    {
        var port = CliValues.PortOption("the port your server cannot bind (1-65535)", lowest: 1);
        port.Required = true;
        var json = new Option<bool>("--json") { Description = "print the diagnosis as one JSON object" };
        var command = new Command("diagnose", "tell who holds a TCP port (state, address, process), whether a .NET or native server would bind it now, and what to do")
        {
            port, json,
        };
        command.SetAction(parsed =>
        {
            var diagnosis = PortDiagnosis.Run(parsed.GetValue(port)!.Value);
            // Process names come from /proc: a hostile one must not reach the terminal as escape sequences.
            context.Out.WriteLine(parsed.GetValue(json) ? diagnosis.ToJson().ToJsonString() : PrintableText.EscapeLines(diagnosis.ToString()));
            return 0;
        });
        return command;
    }
}
