using System.Net;
using System.Net.Sockets;
using AddressInUse.Native;
using AddressInUse.Display;

namespace AddressInUse.Experiments.ClientSide;

/// <summary>Whether one loopback address can be bound on this machine.</summary>
/// <param name="Address">The address tried, e.g. "127.0.0.2".</param>
/// <param name="Outcome">"ok" or the errno name of the failed step.</param>
/// <param name="Step">The step that decided: "socket", "bind".</param>
/// <param name="UsedBy">Which experiments need this address.</param>
public sealed record LoopbackAddressOutcome(string Address, string Outcome, string Step, string UsedBy);

/// <summary>Which loopback addresses this machine lets a program bind: each is tried with a fresh socket on port 0 and closed at once; nothing is configured.</summary>
public sealed record LoopbackAddresses(IReadOnlyList<LoopbackAddressOutcome> Outcomes) : HtmlResult
{
    /// <summary>The addresses the course uses, with the experiments that need them.</summary>
    public static IReadOnlyList<(string Address, string UsedBy)> Candidates { get; } =
    [
        ("127.0.0.1", "every experiment"),
        ("127.0.0.2", "a second server address (D3, E1's other server); Linux routes all of 127.0.0.0/8, macOS only 127.0.0.1 unless an alias is added"),
        ("::1", "IPv6 loopback, where a chapter compares families"),
    ];

    /// <summary>Tries each candidate address once.</summary>
    public static LoopbackAddresses Check() => new(Candidates.Select(c => Try(c.Address, c.UsedBy)).ToList());

    /// <summary>Whether the address could be bound.</summary>
    public bool CanBind(string address) => Outcomes.Any(o => o.Address == address && o.Outcome == "ok");

    /// <summary>A table: address, outcome, what needs it.</summary>
    public override string ToHtml() => Html.Table(
        ["loopback address", "bind on port 0", "used by"],
        Outcomes.Select(o => new[] { $"<code>{Html.E(o.Address)}</code>", Html.Badge(o.Outcome, o.Step), Html.E(o.UsedBy) }));

    /// <summary>One line per address.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Outcomes.Select(o => $"{o.Address}: {o.Outcome}"));

    private static LoopbackAddressOutcome Try(string text, string usedBy)
    {
        var address = IPAddress.Parse(text);
        NativeSocket socket;
        try
        {
            socket = NativeSocket.Create(address.AddressFamily, ProtocolType.Tcp);
        }
        catch (NativeSocketException e)
        {
            // No IPv6 stack at all is a fact about the machine, not a failure of the check.
            return new LoopbackAddressOutcome(text, e.Result.Outcome, "socket", usedBy);
        }

        using (socket)
        {
            var bind = socket.Bind(new IPEndPoint(address, 0));
            return new LoopbackAddressOutcome(text, bind.Outcome, "bind", usedBy);
        }
    }
}
