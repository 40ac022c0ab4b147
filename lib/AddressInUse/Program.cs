using AddressInUse.Child;
using AddressInUse.Lab;
using AddressInUse.Measurement;

namespace AddressInUse;

/// <summary>Entry point used when the library is started as the experiments' child server, or to measure chapters without a notebook kernel.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve")
        {
            return ChildServer.Run(args[1..]);
        }
        if (args.Length > 0 && args[0] == "lab")
        {
            return LabChild.Run(args[1..], LabExperiments);
        }
        if (args.Length > 0 && args[0] == "measure")
        {
            return MeasureCommand.RunAsync(args[1..], Console.Out).GetAwaiter().GetResult();
        }
        Console.Error.WriteLine(
            "AddressInUse.dll is the course's helper library; notebooks load it with #r. Run as a program it serves experiments " +
            "(AddressInUse.dll serve --address A --port P --api native|dotnet --options none|SO_REUSEADDR,...) or measures chapters " +
            $"without a notebook kernel ({MeasureOptions.Usage}).");
        return 2;
    }

    /// <summary>
    /// The experiments the lab's child runs inside its private namespace, by name: composed here, at the entry point, from the
    /// methods marked <see cref="InsideLabAttribute"/>, so that the lab knows no experiment and an experiment that needs the lab
    /// only names it (NetworkLab.RunAsync(TimeWaitReuse.Experiment, …)).
    /// </summary>
    internal static IReadOnlyDictionary<string, LabExperiment> LabExperiments => LabExperimentTable.Discover(typeof(Program).Assembly);
}
