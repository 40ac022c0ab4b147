using System.Net;
using System.Net.NetworkInformation;

namespace AddressInUse.Observation;

/// <summary>One row of the OS's TCP table: a socket's two endpoints and its state.</summary>
/// <param name="Local">The local address and port.</param>
/// <param name="Remote">The remote address and port (0.0.0.0:0 for a listener).</param>
/// <param name="State">The TCP state.</param>
/// <param name="ReceiveQueue">Bytes received but not yet read by the application, where the OS tells (Linux), else null.</param>
/// <param name="SendQueue">Bytes written but not yet acknowledged by the peer, where the OS tells (Linux), else null.</param>
public sealed record TcpEntry(IPEndPoint Local, IPEndPoint Remote, TcpState State, int? ReceiveQueue = null, int? SendQueue = null)
{
    /// <summary>The state as the course names it: "ESTABLISHED", "FIN_WAIT_2", "TIME_WAIT"….</summary>
    public string StateName => State.ToCanonicalName();

    /// <summary>A key that identifies the socket across samples (its two endpoints).</summary>
    public string Key => $"{Local}>{Remote}";

    /// <summary>"127.0.0.1:5000 → 127.0.0.1:41000 FIN_WAIT_2".</summary>
    public override string ToString() => $"{Local} → {Remote} {StateName}";
}

/// <summary>Canonical names for TCP states, as RFC 793 and netstat spell them.</summary>
public static class TcpStateNames
{
    /// <summary>The canonical name of a TCP state ("FIN_WAIT_2", not "FinWait2").</summary>
    public static string ToCanonicalName(this TcpState state) => state switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynReceived => "SYN_RECEIVED",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN_WAIT_1",
        TcpState.FinWait2 => "FIN_WAIT_2",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        TcpState.DeleteTcb => "DELETE_TCB",
        _ => "UNKNOWN",
    };

    /// <summary>The results.json "holder" name for a socket left in this state (e.g. "time_wait").</summary>
    public static string ToHolderName(this TcpState state) => state switch
    {
        TcpState.Listen => "listen",
        TcpState.Established => "established",
        TcpState.TimeWait => "time_wait",
        TcpState.FinWait2 => "fin_wait_2",
        TcpState.CloseWait => "close_wait",
        _ => state.ToCanonicalName().ToLowerInvariant(),
    };
}
