using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Avoiding;

/// <summary>What one close did to both ends (scenario F2).</summary>
/// <param name="LingerZero">Whether the closing side set SO_LINGER {on, 0} before connecting.</param>
/// <param name="BytesSent">Bytes the closing side handed to its kernel before closing.</param>
/// <param name="BytesReceived">Bytes the peer could read afterwards.</param>
/// <param name="PeerSaw">How the peer's reading ended: "EOF" (an orderly FIN) or the error name, e.g. "ECONNRESET".</param>
/// <param name="CloserStateAfter">The closing side's 4-tuple in the OS's TCP table after both ends finished: "TIME_WAIT", another state, or "none".</param>
/// <param name="CloserPort">The closing side's local port.</param>
/// <param name="PeerQueuedAtReset">Bytes waiting in the peer's receive queue (FIONREAD, .NET's Socket.Available) once the closer's RST had reached it and before the peer read anything; null for the ordinary close (whose FIN waits behind the unread data) or when it could not be read.</param>
public sealed record LingerZeroOutcome(bool LingerZero, long BytesSent, long BytesReceived, string PeerSaw, string CloserStateAfter, int CloserPort, long? PeerQueuedAtReset = null)
{
    /// <summary>Bytes the peer never got.</summary>
    public long BytesLost => BytesSent - BytesReceived;

    /// <summary>The case record for results.json.</summary>
    public CaseRecord ToCase()
    {
        var options = LingerZero ? new[] { "SO_LINGER=0" } : Array.Empty<string>();
        var errno = PeerSaw == "EOF" ? null : Errno.NumberOf(PeerSaw, OsInfo.Current);
        return new CaseRecord("F2", LingerZero ? "close-linger-zero" : "close-fin", "native", "tcp", "none",
            new SocketSide("127.0.0.1", "tcp", options), new SocketSide("127.0.0.1", "tcp", []), "close",
            PeerSaw == "EOF" ? "ok" : PeerSaw, errno)
        {
            Details = new JsonObject
            {
                ["closer_state_after"] = CloserStateAfter,
                ["peer_saw"] = PeerSaw,
                ["bytes_sent"] = BytesSent,
                ["bytes_received"] = BytesReceived,
                ["bytes_lost"] = BytesLost,
                ["peer_queued_at_reset"] = PeerQueuedAtReset,
            },
        };
    }
}

/// <summary>Both closes side by side: an ordinary FIN close and a SO_LINGER {on, 0} close.</summary>
/// <param name="Fin">The ordinary close.</param>
/// <param name="Abort">The SO_LINGER {on, 0} close.</param>
public sealed record LingerZeroComparison(LingerZeroOutcome Fin, LingerZeroOutcome Abort) : SideBySide<LingerZeroOutcome>
{
    /// <inheritdoc />
    protected override IReadOnlyList<LingerZeroOutcome> Runs => [Fin, Abort];

    /// <summary>Bytes sent against bytes the peer read, per close; each label says what the closer left and how the peer's reading ended.</summary>
    public Figure Chart => Bars(
        "f2-linger-zero",
        "F2 bytes the peer read, per close",
        "bytes",
        ("bytes sent before close()", o => o.BytesSent, "#90a4ae"),
        ("bytes the peer read", o => o.BytesReceived, "#43a047"));

    /// <inheritdoc />
    protected override string Label(LingerZeroOutcome o) =>
        $"{(o.LingerZero ? "SO_LINGER {on, 0}" : "ordinary close (FIN)")}<br>closer afterwards: {o.CloserStateAfter}<br>peer's read ended with {o.PeerSaw}";

    /// <inheritdoc />
    protected override CaseRecord CaseOf(LingerZeroOutcome run) => run.ToCase();

    /// <summary>One row per close: what the closer left behind and what the peer saw.</summary>
    public override string ToHtml() => Table(
        ["close", "closing side afterwards", "peer's read ended with", "bytes sent", "waiting at the peer when the RST reached it", "bytes the peer got", "lost"],
        o =>
        [
            o.LingerZero ? "SO_LINGER {on, 0}" : "ordinary close (FIN)",
            $"<code>{Html.E(o.CloserStateAfter)}</code>",
            Html.Badge(o.PeerSaw == "EOF" ? "ok" : o.PeerSaw, o.PeerSaw) + (o.PeerSaw == "EOF" ? " EOF" : ""),
            o.BytesSent.ToString("N0"),
            o.PeerQueuedAtReset?.ToString("N0") ?? (o.LingerZero ? "not read" : "no RST"),
            o.BytesReceived.ToString("N0"),
            o.BytesLost.ToString("N0"),
        ]);

    /// <summary>A plain-text summary.</summary>
    public override string ToString() =>
        string.Join(Environment.NewLine, new[] { Fin, Abort }.Select(o =>
            $"{(o.LingerZero ? "linger 0" : "FIN"),-8} closer after: {o.CloserStateAfter}, peer saw {o.PeerSaw}, got {o.BytesReceived} of {o.BytesSent} bytes"));
}

/// <summary>Scenario F2: does SO_LINGER {on, 0} avoid TIME_WAIT, and what does it cost? The closing side fills the pipe (the peer is not reading), then closes.</summary>
public static class LingerZero
{
    /// <summary>The most the closing side writes before closing: enough to leave data unsent, far from any memory limit.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Runs the ordinary close and the SO_LINGER {on, 0} close.</summary>
    public static async Task<LingerZeroComparison> CompareAsync(CancellationToken cancellationToken = default) =>
        new(await RunAsync(false, cancellationToken), await RunAsync(true, cancellationToken));

    /// <summary>Runs one close on a fresh loopback connection and observes both ends.</summary>
    public static async Task<LingerZeroOutcome> RunAsync(bool lingerZero, CancellationToken cancellationToken = default)
    {
        using var listener = NativeSocket.ListenOnLoopback();
        var target = (IPEndPoint)listener.LocalEndPoint!;
        Socket? closer = null;
        Socket? peer = null;
        try
        {
            closer = Connect(target, lingerZero);
            peer = await listener.AcceptAsync(cancellationToken);
            var closerEnd = (IPEndPoint)closer.LocalEndPoint!;
            var sent = FillWithoutBlocking(closer);
            closer.Dispose();
            closer = null;

            var queued = lingerZero ? await QueuedAtResetAsync(peer, closerEnd, target, cancellationToken) : null;
            var (received, saw) = await ReadToEndAsync(peer, cancellationToken);
            // The peer closes second, as a server that read to EOF would.
            peer.Dispose();
            peer = null;

            var state = await CloserStateAsync(closerEnd, target, expectTimeWait: !lingerZero, cancellationToken);
            return new LingerZeroOutcome(lingerZero, sent, received, saw, state, closerEnd.Port, queued);
        }
        finally
        {
            closer?.Dispose();
            peer?.Dispose();
        }
    }

    private static Socket Connect(IPEndPoint target, bool lingerZero)
    {
        var native = NativeSocket.Create();
        try
        {
            if (lingerZero)
            {
                native.SetLinger(true, 0).ThrowIfFailed();
            }

            native.Connect(target).ThrowIfFailed();
            return native.ToSocket();
        }
        catch
        {
            native.Dispose();
            throw;
        }
    }

    private static long FillWithoutBlocking(Socket socket)
    {
        socket.Blocking = false;
        var chunk = new byte[64 * 1024];
        long sent = 0;
        while (sent < MaxBytes)
        {
            var n = socket.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock || n <= 0)
            {
                break;
            }

            sent += n;
        }

        socket.Blocking = true;
        return sent;
    }

    private static async Task<(long Received, string Saw)> ReadToEndAsync(Socket peer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Deadline);
        var buffer = new byte[256 * 1024];
        long received = 0;
        try
        {
            while (true)
            {
                var n = await peer.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    return (received, "EOF");
                }

                received += n;
            }
        }
        catch (SocketException e)
        {
            return (received, e.SocketErrorCode switch
            {
                SocketError.ConnectionReset => "ECONNRESET",
                SocketError.ConnectionAborted => "ECONNABORTED",
                _ => e.SocketErrorCode.ToString(),
            });
        }
    }

    // What the peer holds once the RST has reached it: its entry has left the table (tcp_reset -> tcp_done), no segment follows
    // a RST, and the peer has read nothing yet, so FIONREAD then counts every byte that reached the peer before the reset
    // (reviewer finding 9: what the peer reads afterwards is compared with it).
    private static async Task<long?> QueuedAtResetAsync(Socket peer, IPEndPoint closer, IPEndPoint target, CancellationToken cancellationToken)
    {
        TcpEntry? Entry() => TcpTable.ReadPorts([target.Port]).FirstOrDefault(e => e.Local.Port == target.Port && e.Remote.Port == closer.Port);
        var arrived = await Poll.TryUntilAsync(() => Entry() is null, TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
        if (!arrived)
        {
            return null;
        }

        try
        {
            return peer.Available;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static async Task<string> CloserStateAsync(IPEndPoint closer, IPEndPoint peer, bool expectTimeWait, CancellationToken cancellationToken)
    {
        TcpEntry? Entry() => TcpTable.ReadPorts([closer.Port]).FirstOrDefault(e => e.Local.Port == closer.Port && e.Remote.Port == peer.Port);
        // Poll until the expected end state shows (or the deadline passes), then report what is really there.
        await Poll.TryUntilAsync(() => expectTimeWait ? Entry()?.StateName == "TIME_WAIT" : Entry() is null, TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
        return Entry()?.StateName ?? "none";
    }

}
