using AddressInUse.Diagnosis;

namespace Course.Runner.Cli;

/// <summary>`course diagnose --port P`: who holds a TCP port, whether a server would bind it now, and what to do (the logic is <see cref="PortDiagnosis"/>).</summary>
public sealed class DiagnoseCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "diagnose";

    /// <inheritdoc />
    public string Summary => "tell who holds a TCP port (state, address, process), whether a .NET or native server would bind it now, and what to do";

    /// <inheritdoc />
    public string Usage => """
        course diagnose --port P [--json]

          --port P   the port your server cannot bind (1-65535)
          --json     print the diagnosis as one JSON object
        """;

    /// <inheritdoc />
    public Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context)
    {
        int? port = null;
        var json = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("--port needs a value: the port your server cannot bind, from 1 to 65535.");
                    }
                    port = ObserveCommand.ParsePort(args[++i]);
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    throw new UsageException(args[i].StartsWith('-') ? $"Unknown option {args[i]}." : $"Unexpected argument {args[i]}.");
            }
        }

        if (port is null)
        {
            throw new UsageException("diagnose needs --port P, the port your server cannot bind (1-65535).");
        }

        var diagnosis = PortDiagnosis.Run(port.Value);
        context.Out.WriteLine(json ? diagnosis.ToJson().ToJsonString() : diagnosis.ToString());
        return Task.FromResult(0);
    }
}
