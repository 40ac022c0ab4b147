using AddressInUse.Child;
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
            return Lab.LabChild.Run(args[1..]);
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
}
