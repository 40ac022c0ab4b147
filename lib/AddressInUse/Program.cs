namespace AddressInUse;

/// <summary>Entry point used only when the library is started as the experiments' child server process.</summary>
internal static class Program
{
    private static int Main(string[] args) => 0;
}
