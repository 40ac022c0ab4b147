using System.Net;
using System.Net.Sockets;
using AddressInUse.Cases;
using AddressInUse.Native;
using AddressInUse.Display;

namespace AddressInUse.Experiments;

/// <summary>
/// G1 dotnet-bind-default, as chapter 01 shows it: what SO_REUSEADDR reads before and after bind, for a plain .NET
/// socket and for a socket bound through the OS's own bind() with no option.
/// </summary>
public static class DotnetBindDefault
{
    /// <summary>Binds one .NET socket and one native socket to fresh loopback ports and reads SO_REUSEADDR around each bind.</summary>
    public static BindDefaultOutcome Measure()
    {
        OsInfo.EnsureSupported();
        var any = new IPEndPoint(IPAddress.Loopback, 0);
        using var dotnet = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var dotnetBefore = SocketOptionReader.Read(dotnet);
        dotnet.Bind(any);
        var dotnetAfter = SocketOptionReader.Read(dotnet);

        using var native = NativeSocket.Create();
        var nativeBefore = native.ReadOptions();
        var bind = native.Bind(any);
        if (!bind.Ok)
        {
            throw new NativeSocketException(bind);
        }
        var nativeAfter = native.ReadOptions();
        return new BindDefaultOutcome(OsInfo.CurrentName, dotnetBefore, dotnetAfter, nativeBefore, nativeAfter);
    }
}

/// <summary>SO_REUSEADDR and friends read with getsockopt before and after bind, for .NET's Bind and the OS's bind().</summary>
/// <param name="Os">The OS measured.</param>
/// <param name="DotnetBefore">Options of the .NET socket before Socket.Bind.</param>
/// <param name="DotnetAfter">Options of the .NET socket after Socket.Bind.</param>
/// <param name="NativeBefore">Options of the native socket before bind().</param>
/// <param name="NativeAfter">Options of the native socket after bind().</param>
public sealed record BindDefaultOutcome(
    string Os,
    IReadOnlyDictionary<string, int> DotnetBefore,
    IReadOnlyDictionary<string, int> DotnetAfter,
    IReadOnlyDictionary<string, int> NativeBefore,
    IReadOnlyDictionary<string, int> NativeAfter) : MeasuredResult
{
    /// <summary>Two G1 records, "bind-default" on each path: the read-back after bind, and the one before it in the details.</summary>
    public override IEnumerable<CaseRecord> Cases => new[] { ("dotnet", DotnetBefore, DotnetAfter), ("native", NativeBefore, NativeAfter) }.Select(x =>
        new CaseRecord("G1", "bind-default", x.Item1, "tcp", "none",
            new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), "bind", "ok", null)
        {
            Readback = x.Item3,
            Details = new System.Text.Json.Nodes.JsonObject { ["readback_before_bind"] = new System.Text.Json.Nodes.JsonObject(x.Item2.Select(kv => KeyValuePair.Create(kv.Key, (System.Text.Json.Nodes.JsonNode?)kv.Value))) },
        });

    /// <summary>Whether .NET's Bind turned SO_REUSEADDR on by itself.</summary>
    public bool DotnetBindSetsReuseAddress => DotnetBefore.GetValueOrDefault(SocketOptionNames.ReuseAddress) == 0 && DotnetAfter.GetValueOrDefault(SocketOptionNames.ReuseAddress) == 1;

    /// <summary>A table of the four read-backs.</summary>
    public override string ToHtml() => Html.Table(
        new[] { $"getsockopt on {Os}", "before bind", "after bind" },
        new[]
        {
            new[] { ".NET <code>Socket.Bind</code>", Html.Readback(DotnetBefore), Html.Readback(DotnetAfter) },
            new[] { "the OS's <code>bind()</code>, no option", Html.Readback(NativeBefore), Html.Readback(NativeAfter) },
        });

    /// <summary>One line per socket.</summary>
    public override string ToString() =>
        $".NET Socket.Bind: {string.Join(", ", DotnetBefore.Select(kv => $"{kv.Key}={kv.Value}"))} → {string.Join(", ", DotnetAfter.Select(kv => $"{kv.Key}={kv.Value}"))}; " +
        $"native bind(): {string.Join(", ", NativeBefore.Select(kv => $"{kv.Key}={kv.Value}"))} → {string.Join(", ", NativeAfter.Select(kv => $"{kv.Key}={kv.Value}"))}";
}
