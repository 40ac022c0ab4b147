using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// G2 and G3: what .NET's reuse switches really set. Each row makes one fresh socket, makes the calls named, and reads
/// every reuse option back with getsockopt, so the table shows the OS's view rather than .NET's.
/// </summary>
public static class DotnetReuseOptions
{
    /// <summary>The .NET calls measured, in order: a name for results.json, the code, and the action.</summary>
    private static readonly (string Name, string Code, Action<Socket> Act)[] Steps =
    {
        ("new-socket", "new Socket(...)", _ => { }),
        ("reuseaddress", "SetSocketOption(Socket, ReuseAddress, true)", s => s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true)),
        ("reuseaddress-then-bind", "SetSocketOption(Socket, ReuseAddress, true); Bind", s =>
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }),
        ("exclusive", "ExclusiveAddressUse = true", s => s.ExclusiveAddressUse = true),
        ("exclusive-then-bind", "ExclusiveAddressUse = true; Bind", s =>
        {
            s.ExclusiveAddressUse = true;
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }),
        ("reuseaddress-then-exclusive", "SetSocketOption(Socket, ReuseAddress, true); ExclusiveAddressUse = true", s =>
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.ExclusiveAddressUse = true;
        }),
        ("plain-bind", "Bind (no option set)", s => s.Bind(new IPEndPoint(IPAddress.Loopback, 0))),
    };

    /// <summary>Runs every row for TCP and UDP on fresh sockets bound to loopback ports the OS chooses.</summary>
    public static DotnetReuseReadback Measure()
    {
        OsInfo.EnsureSupported();
        var rows = new List<DotnetReuseRow>();
        foreach (var protocol in new[] { ProtocolType.Tcp, ProtocolType.Udp })
        {
            foreach (var (name, code, act) in Steps)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
                var result = StepResult.Of(name.EndsWith("bind", StringComparison.Ordinal) ? "bind" : "setsockopt", () => act(socket));
                rows.Add(new DotnetReuseRow(name, protocol == ProtocolType.Tcp ? "tcp" : "udp", code, result, SocketOptionReader.Read(socket)));
            }
        }
        return new DotnetReuseReadback(OsInfo.CurrentName, rows);
    }
}

/// <summary>One row: a fresh socket, the .NET calls made on it, and the options the OS reports afterwards.</summary>
/// <param name="Name">The case name part, e.g. "reuseaddress-then-bind".</param>
/// <param name="Protocol">"tcp" or "udp".</param>
/// <param name="Code">The calls, as code.</param>
/// <param name="Result">Whether the calls succeeded.</param>
/// <param name="Readback">Every reuse option this OS has, read with getsockopt (1 = on).</param>
public sealed record DotnetReuseRow(string Name, string Protocol, string Code, StepResult Result, IReadOnlyDictionary<string, int> Readback);

/// <summary>The G2/G3 read-back table.</summary>
/// <param name="Os">The OS measured.</param>
/// <param name="Rows">TCP rows first, then UDP.</param>
public sealed record DotnetReuseReadback(string Os, IReadOnlyList<DotnetReuseRow> Rows) : MeasuredResult
{
    /// <summary>The value read back for one row and option, or null where the OS lacks the option.</summary>
    public int? Value(string protocol, string name, string option) =>
        Rows.Single(r => r.Protocol == protocol && r.Name == name).Readback.TryGetValue(option, out var v) ? v : null;

    /// <summary>Each row as a results.json record: G2 for ReuseAddress rows, G3 for ExclusiveAddressUse rows, G1 for the plain Bind.</summary>
    public override IEnumerable<CaseRecord> Cases => Rows.Select(r => new CaseRecord(
        r.Name.Contains("exclusive", StringComparison.Ordinal) ? "G3" : r.Name == "plain-bind" ? "G1" : "G2",
        $"{r.Protocol}-{r.Name}-readback",
        "dotnet",
        r.Protocol,
        "none",
        new SocketSide("127.0.0.1", r.Protocol, Array.Empty<string>()),
        new SocketSide("127.0.0.1", r.Protocol, Array.Empty<string>()),
        r.Result.Step,
        r.Result.Outcome,
        r.Result.Error?.Number)
    {
        Readback = r.Readback,
        Details = new JsonObject { ["dotnet_calls"] = r.Code },
    });

    /// <summary>A table: protocol, calls, and one column per reuse option read back.</summary>
    public override string ToHtml()
    {
        var options = Rows.SelectMany(r => r.Readback.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var headers = new[] { "protocol", ".NET calls on a fresh socket", "result" }.Concat(options.Select(o => $"{o} read back"));
        var rows = Rows.Select(r => new[] { Html.E(r.Protocol), $"<code>{Html.E(r.Code)}</code>", Html.Badge(r.Result.Outcome) }
            .Concat(options.Select(o => r.Readback.TryGetValue(o, out var v) ? (v == 1 ? "<b>1</b>" : "0") : "—")));
        return $"<div class=\"course-outcome\"><p><b>What .NET's switches set on {Html.E(Os)}</b> (getsockopt after the calls)</p>{Html.Table(headers, rows)}</div>";
    }

    /// <summary>One row a line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Rows.Select(r =>
        $"{r.Protocol} {r.Code}: {r.Result.Outcome}; {string.Join(", ", r.Readback.Select(kv => $"{kv.Key}={kv.Value}"))}"));
}
