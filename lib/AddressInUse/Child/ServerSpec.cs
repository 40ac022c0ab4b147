using System.Net;
using AddressInUse.Native;

namespace AddressInUse.Child;

/// <summary>How the child server should bind and listen.</summary>
/// <param name="Address">The local address (loopback unless a scenario needs the wildcard).</param>
/// <param name="Port">The port, 0 to let the OS choose.</param>
/// <param name="Api">The bind path.</param>
/// <param name="Options">The options set before bind (native path only; the .NET path sets none itself).</param>
public sealed record ServerSpec(IPAddress Address, int Port, BindApi Api, SocketOptionSet Options)
{
    /// <summary>The results.json name of the API: "native" or "dotnet".</summary>
    public string ApiName => Api == BindApi.Native ? "native" : "dotnet";

    /// <summary>The command-line arguments that start the child server with this spec.</summary>
    public IReadOnlyList<string> ToArguments() => new[]
    {
        "serve", "--address", Address.ToString(), "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--api", ApiName, "--options", Options == SocketOptionSet.None ? "none" : string.Join(",", Options.ToNames()),
    };
}
