using AddressInUse.Child;

namespace AddressInUse;

/// <summary>Entry point used only when the library is started as the experiments' child server process.</summary>
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
        Console.Error.WriteLine(
            "AddressInUse.dll is the course's helper library; notebooks load it with #r. " +
            "Run as a program it only serves experiments: AddressInUse.dll serve --address A --port P --api native|dotnet --options none|SO_REUSEADDR,...");
        return 2;
    }
}
