using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.CSharpServers;

/// <summary>One C# spelling of an option the course uses, what the OS reads back after it, and where it is dangerous.</summary>
/// <param name="Name">The case name, e.g. "linger-zero".</param>
/// <param name="Code">The C# code.</param>
/// <param name="Result">Whether the calls succeeded on this OS.</param>
/// <param name="Readback">Every reuse option and SO_LINGER read back with getsockopt (1 = on).</param>
/// <param name="Danger">Where it hurts, in one sentence.</param>
public sealed record OptionSpelling(string Name, string Code, StepResult Result, IReadOnlyDictionary<string, int> Readback, string Danger);

/// <summary>I2: the C# spellings of every option the course uses, each tried on a fresh loopback TCP socket and read back.</summary>
public sealed record OptionSpellings(IReadOnlyList<OptionSpelling> Rows) : MeasuredResult
{
    /// <summary>Tries every spelling on its own fresh socket, bound to a loopback port the OS chooses.</summary>
    public static OptionSpellings Measure()
    {
        var os = NativeConstants.Current;
        var steps = new List<(string, string, Action<Socket>, string)>
        {
            ("linger-zero", "socket.LingerState = new LingerOption(true, 0);", s => s.LingerState = new LingerOption(true, 0),
                "Close() then sends RST instead of FIN: data not yet sent is thrown away and the peer sees 'connection reset' (chapter 09)."),
            ("exclusive", "socket.ExclusiveAddressUse = true;", s => s.ExclusiveAddressUse = true,
                "On Linux it clears both reuse options (Bind then sets SO_REUSEADDR again for TCP). On Windows it sets SO_EXCLUSIVEADDRUSE: Microsoft documents that no other socket may then share the port and that a restart cannot bind while the old server's accepted connections live (not measured here)."),
            ("reuseaddress", "socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);", s => s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true),
                "On Linux .NET sets SO_REUSEPORT too, so a second copy of your server (same user) binds beside the first instead of failing (chapter 10); macOS runs the same runtime code, and on Windows Microsoft documents that SO_REUSEADDR lets another socket bind the port forcibly (neither measured here)."),
            ("plain-bind", "socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));", s => s.Bind(new IPEndPoint(IPAddress.Loopback, 0)),
                "None by itself: on Linux .NET sets SO_REUSEADDR before bind, which lets a restart bind beside any earlier socket of the port that is not listening and set it too, an ESTABLISHED one included (chapter 05); macOS runs the same runtime code (not measured here)."),
        };
        if (os.SoReusePort is { } reusePort)
        {
            steps.Add(("raw-reuseport", $"socket.SetRawSocketOption({os.SolSocket} /* SOL_SOCKET */, {reusePort} /* SO_REUSEPORT */, BitConverter.GetBytes(1));",
                s => s.SetRawSocketOption(os.SolSocket, reusePort, BitConverter.GetBytes(1)),
                "The numbers differ per OS (these are this OS's); any process of the same user that sets it too shares the port and gets some of its connections."));
        }

        var rows = new List<OptionSpelling>();
        foreach (var (name, code, act, danger) in steps)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var result = StepResult.Of(name == "plain-bind" ? "bind" : "setsockopt", () => act(socket));
            rows.Add(new OptionSpelling(name, code, result, SocketOptionReader.Read(socket), danger));
        }
        return new OptionSpellings(rows);
    }

    /// <summary>The value read back for a row and option, or null where the OS lacks the option.</summary>
    public int? Value(string name, string option) => Rows.Single(r => r.Name == name).Readback.TryGetValue(option, out var v) ? v : null;

    /// <summary>One results.json record per spelling (scenario I2).</summary>
    public override IEnumerable<CaseRecord> Cases => Rows.Select(r => new CaseRecord("I2", r.Name, "dotnet", "tcp", "none",
        new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []), r.Result.Step, r.Result.Outcome, r.Result.Error?.Number)
    {
        Readback = r.Readback,
        Details = new JsonObject { ["code"] = r.Code },
    });

    /// <summary>Code, result, read-back and danger, one row per spelling.</summary>
    public override string ToHtml() => "<div class=\"course-outcome\">" + Html.Table(
        new[] { "C#", "result", "read back (getsockopt)", "where it is dangerous" },
        Rows.Select(r => new[] { $"<code>{Html.E(r.Code)}</code>", Html.Badge(r.Result.Outcome), Html.Readback(r.Readback), Html.E(r.Danger) })) + "</div>";

    /// <summary>One line per spelling.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Rows.Select(r => $"{r.Code} → {r.Result.Outcome}; {string.Join(", ", r.Readback.Select(kv => $"{kv.Key}={kv.Value}"))}"));
}
