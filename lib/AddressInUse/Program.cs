using AddressInUse.Child;
using AddressInUse.Experiments.ClientSide;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Experiments.Packets;
using AddressInUse.Experiments.Production;
using AddressInUse.Experiments.Teardown;
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
    /// The experiments the lab's child runs inside its private namespace, by name: composed here, at the entry point, so that the
    /// lab knows no experiment and an experiment that needs the lab only names it (NetworkLab.RunAsync("e3", …)).
    /// </summary>
    internal static IReadOnlyDictionary<string, LabExperiment> LabExperiments { get; } = new Dictionary<string, LabExperiment>(LabProbes.All, StringComparer.Ordinal)
    {
        ["e3"] = _ => TimeWaitReuse.MeasureInsideAsync(),
        ["fin-timeout"] = _ => TimeWaitSettings.OrphanFinWait2InsideAsync(),
        ["tw-buckets"] = arguments => TimeWaitSettings.TimeWaitBucketsInsideAsync(arguments),
        ["tw-length"] = _ => TimeWaitSettings.TimeWaitLengthInsideAsync(),
        // The matrix's wildcard cases: inside the lab the wildcard address covers only the lab's own lo.
        [PortSharingLab.Experiment] = PortSharingLab.RunInsideAsync,
        [ServerPortInRange.Experiment] = _ => Task.FromResult(ServerPortInRange.MeasureInside()),
        [DualStack.Experiment] = _ => Task.FromResult(DualStack.MeasureInside()),
        [RollingRestart.Experiment] = arguments => RollingRestart.MeasureInsideAsync(arguments),
        [ReusePortUsers.Experiment] = _ => Task.FromResult(ReusePortUsers.MeasureInside()),
        [HttpClientExhaustion.Experiment] = arguments => HttpClientExhaustion.MeasureInsideAsync(arguments),
        // One connection's segments captured on the lab's lo with the program's actions (the scenario is an argument).
        [PacketScenarios.Experiment] = arguments => PacketScenarios.RunInsideAsync(arguments),
    };
}
