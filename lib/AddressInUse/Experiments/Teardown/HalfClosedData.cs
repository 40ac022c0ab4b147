using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Teardown;

/// <summary>A half-closed connection at work: after the client's FIN, the server goes on sending and the client goes on reading.</summary>
/// <param name="BytesAfterFin">Bytes the server sent after it had read the client's end of stream.</param>
/// <param name="BytesReceived">Bytes the client read after it had shut down its sending half.</param>
/// <param name="ClientStateWhileReading">The client end's state while the data flowed ("FIN_WAIT_2").</param>
/// <param name="ServerStateWhileSending">The server end's state while it sent ("CLOSE_WAIT").</param>
/// <param name="ClientSendAfterShutdown">What a send on the client's shut half returned ("EPIPE"-like error name, or "ok").</param>
/// <param name="Connection">The socket keys, for the chart.</param>
/// <param name="Timeline">Samples and actions.</param>
public sealed record HalfClosedDataOutcome(long BytesAfterFin, long BytesReceived, string? ClientStateWhileReading, string? ServerStateWhileSending, string ClientSendAfterShutdown, (string Server, string Client) Connection, Timeline Timeline) : MeasuredResult
{
    /// <summary>The results.json record: what the client read after its own FIN, and the two ends' states meanwhile.</summary>
    public override IEnumerable<CaseRecord> Cases =>
    [
        new CaseRecord("B1", "half-closed-data", "dotnet", "tcp", ClientStateWhileReading?.ToLowerInvariant() ?? "none",
            new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []), "observe", BytesReceived == BytesAfterFin ? "ok" : "short_read", null)
        {
            Details = new JsonObject
            {
                ["bytes_after_fin"] = BytesAfterFin, ["bytes_received"] = BytesReceived,
                ["client_end_state"] = ClientStateWhileReading, ["server_end_state"] = ServerStateWhileSending,
                ["client_send_after_shutdown"] = ClientSendAfterShutdown,
            },
        },
    ];

    /// <summary>Both ends' states over the exchange.</summary>
    public Figure Chart => TeardownCharts.Sockets("half-closed-data", $"Half closed: {BytesReceived} bytes still flowed to the client after its FIN", Timeline,
        [("server end", Connection.Server, EventSides.Server), ("client end", Connection.Client, EventSides.Client)], 0, "ms since the connection opened");

    /// <summary>A small table.</summary>
    public override string ToHtml() => Html.Table(["half-closed connection", ""],
    [
        ["bytes the server sent after reading the client's FIN", Html.E(BytesAfterFin)],
        ["bytes the client read after its shutdown(SHUT_WR)", Html.E(BytesReceived)],
        ["client end while it read", $"<code>{Html.E(ClientStateWhileReading ?? "?")}</code>"],
        ["server end while it sent", $"<code>{Html.E(ServerStateWhileSending ?? "?")}</code>"],
        ["the client's send after its shutdown", Html.Badge(ClientSendAfterShutdown)],
    ]);

    /// <summary>One line.</summary>
    public override string ToString() => $"{BytesReceived} of {BytesAfterFin} bytes read after the client's FIN; client {ClientStateWhileReading}, server {ServerStateWhileSending}";
}

/// <summary>The chapter's title concept: a connection closed in one direction still carries data in the other.</summary>
public static class HalfClosedData
{
    /// <summary>The client shuts down its sending half; the server reads end of stream, then sends <paramref name="bytes"/> more, which the client reads in full.</summary>
    public static async Task<HalfClosedDataOutcome> RunAsync(int bytes = 100_000, CancellationToken cancellationToken = default)
    {
        if (bytes is < 1 or > 10_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "Use 1 to 10 000 000 bytes.");
        }
        await using var c = await LoopbackConnection.OpenAsync(IPAddress.Loopback, cancellationToken: cancellationToken).ConfigureAwait(false);
        c.Sampler.Track(c.Client!);
        c.Sampler.Track(c.Server!);
        // The lambda's `!` does not carry to the code below, so the connection's sockets are taken non-null once here.
        var client = c.Client!;
        c.Timeline.CallBy(EventSides.Client, EventKinds.Shutdown, "client shutdown(SHUT_WR): FIN", () => client.Shutdown(SocketShutdown.Send));
        var eof = await c.Server!.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        c.Timeline.MarkBy(EventSides.Server, EventKinds.Read, eof == 0 ? "server reads EOF" : $"server read {eof} bytes");
        var during = await c.WaitForAsync(s => s == TcpState.CloseWait, s => s == TcpState.FinWait2, "CLOSE_WAIT on the server end, FIN_WAIT_2 on the client end", cancellationToken).ConfigureAwait(false);
        var payload = new byte[bytes];
        var sending = Task.Run(async () =>
        {
            var sent = 0;
            while (sent < payload.Length)
            {
                sent += await c.Server.SendAsync(payload.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            return sent;
        }, cancellationToken);
        long received = 0;
        var buffer = new byte[64 * 1024];
        while (received < bytes)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            received += n;
        }
        var sentAfterFin = await sending.ConfigureAwait(false);
        c.Timeline.MarkBy(EventSides.Server, EventKinds.Send, $"server sent {sentAfterFin} bytes; the client read {received}");
        string sendAfterShutdown;
        try
        {
            client.Send(new byte[1]);
            sendAfterShutdown = "ok";
        }
        catch (SocketException e)
        {
            sendAfterShutdown = e.SocketErrorCode.ToString();
        }
        c.Sampler.SampleNow();
        return new HalfClosedDataOutcome(sentAfterFin, received, c.ClientIn(during)?.StateName, c.ServerIn(during)?.StateName, sendAfterShutdown, (c.ServerKey, c.ClientKey), c.Timeline);
    }
}
