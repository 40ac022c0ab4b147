using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Avoiding;

/// <summary>Where TIME_WAIT landed for one protocol design (scenario F1).</summary>
/// <param name="Design">"server-closes-first" or "client-closes-first".</param>
/// <param name="Connections">Request/reply exchanges made by well-behaved clients.</param>
/// <param name="VanishedClients">Clients that got their reply and then neither sent nor closed until the server had timed out; their program closes them afterwards (a host that is really gone never would).</param>
/// <param name="ServerTimeWait">TIME_WAIT entries on the server's port afterwards.</param>
/// <param name="ClientTimeWait">TIME_WAIT entries on the clients' ports afterwards.</param>
/// <param name="ServerTimeouts">Connections the server closed because its EOF timeout expired.</param>
public sealed record ProtocolDesignOutcome(string Design, int Connections, int VanishedClients, int ServerTimeWait, int ClientTimeWait, int ServerTimeouts)
{
    /// <summary>The case record for results.json.</summary>
    public CaseRecord ToCase() => new("F1", Design, "native", "tcp", "none", new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []), "close", "ok", null)
    {
        Details = new JsonObject
        {
            ["connections"] = Connections,
            ["vanished_clients"] = VanishedClients,
            ["server_time_wait"] = ServerTimeWait,
            ["client_time_wait"] = ClientTimeWait,
            ["server_timeouts"] = ServerTimeouts,
        },
    };
}

/// <summary>The two designs side by side.</summary>
/// <param name="ServerFirst">The server replies and closes at once.</param>
/// <param name="ClientFirst">The server replies and waits for the client's EOF (with a timeout) before closing.</param>
public sealed record ProtocolDesignComparison(ProtocolDesignOutcome ServerFirst, ProtocolDesignOutcome ClientFirst) : SideBySide<ProtocolDesignOutcome>
{
    /// <inheritdoc />
    protected override IReadOnlyList<ProtocolDesignOutcome> Runs => [ServerFirst, ClientFirst];

    /// <summary>Where TIME_WAIT landed for each design: the server's port against the clients' ports, one bar each.</summary>
    public Figure Chart => Bars(
        "f1-who-holds-time-wait",
        $"F1 who holds TIME_WAIT, {ServerFirst.Connections} clients per design",
        "TIME_WAIT entries afterwards",
        ("on the server's port", o => o.ServerTimeWait, TimelineChart.StateColors["TIME_WAIT"]),
        ("on the clients' ports", o => o.ClientTimeWait, "#ce93d8"));

    /// <summary>One row per design.</summary>
    public override string ToHtml() => Table(
        ["design", "well-behaved clients + vanished", "server-side TIME_WAIT", "client-side TIME_WAIT", "closed by the server's timeout"],
        // "100 + 1": the vanished client is one more than the well-behaved ones, not one of them (reviewer finding 16).
        o => [Html.E(o.Design), $"{N(o.Connections)} + {N(o.VanishedClients)}", $"<strong>{N(o.ServerTimeWait)}</strong>", N(o.ClientTimeWait), N(o.ServerTimeouts)]);

    /// <inheritdoc />
    protected override CaseRecord CaseOf(ProtocolDesignOutcome run) => run.ToCase();

    /// <summary>One line per design.</summary>
    public override string ToString() => string.Join(Environment.NewLine, new[] { ServerFirst, ClientFirst }.Select(o => $"{o.Design}: server TIME_WAIT {o.ServerTimeWait}, client TIME_WAIT {o.ClientTimeWait}"));

    /// <inheritdoc />
    protected override string Label(ProtocolDesignOutcome o) =>
        o.Design == "server-closes-first" ? "the server closes first" : $"the client closes first<br>(+{N(o.VanishedClients)} client that vanished)";

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Scenario F1: does a protocol in which the client closes first (the server closing on EOF, with a timeout for vanished clients) keep TIME_WAIT off the server?</summary>
public static class ClientClosesFirst
{
    /// <summary>The most connections one design makes.</summary>
    public const int MaxConnections = 500;

    /// <summary>Runs both designs with the same number of clients, plus one vanished client in the client-closes-first design.</summary>
    public static async Task<ProtocolDesignComparison> CompareAsync(int connections, TimeSpan eofTimeout, CancellationToken cancellationToken = default) =>
        new(await RunAsync(serverClosesFirst: true, connections, 0, eofTimeout, cancellationToken),
            await RunAsync(serverClosesFirst: false, connections, 1, eofTimeout, cancellationToken));

    /// <summary>Runs one design: each client sends a request line, reads the reply, and closes (or, if vanished, just stays silent).</summary>
    /// <exception cref="ArgumentOutOfRangeException">connections is below 1 or above <see cref="MaxConnections"/>.</exception>
    public static async Task<ProtocolDesignOutcome> RunAsync(bool serverClosesFirst, int connections, int vanished, TimeSpan eofTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(connections, MaxConnections);
        using var listener = NativeSocket.ListenOnLoopback(128);
        var server = (IPEndPoint)listener.LocalEndPoint!;
        var timeouts = 0;
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < connections + vanished; i++)
            {
                var client = Connect(server);
                using var accepted = await listener.AcceptAsync(cancellationToken);
                await client.SendAsync("request\n"u8.ToArray(), SocketFlags.None, cancellationToken);
                var buffer = new byte[64];
                _ = await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                await accepted.SendAsync("reply\n"u8.ToArray(), SocketFlags.None, cancellationToken);
                _ = await client.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                var isVanished = i >= connections;
                if (serverClosesFirst)
                {
                    accepted.Dispose();
                }
                else
                {
                    if (!isVanished)
                    {
                        client.Dispose(); // the protocol says: the client closes first
                    }

                    // The server waits for EOF, but not forever: a vanished client must not hold the connection.
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    wait.CancelAfter(eofTimeout);
                    try
                    {
                        _ = await accepted.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        timeouts++;
                    }

                    accepted.Dispose();
                }

                if (serverClosesFirst && !isVanished)
                {
                    _ = await client.ReceiveAsync(buffer, SocketFlags.None, cancellationToken); // EOF from the server
                    client.Dispose();
                }
                else if (isVanished)
                {
                    silent.Add(client);
                }
            }

            var expectedServer = serverClosesFirst ? connections : vanished;
            int ServerTw() => TcpTable.ReadPorts([server.Port]).Count(e => e.Local.Port == server.Port && e.StateName == "TIME_WAIT");
            int ClientTw() => TcpTable.ReadPorts([server.Port]).Count(e => e.Remote.Port == server.Port && e.StateName == "TIME_WAIT");
            // A vanished client's server end reaches TIME_WAIT only once the client also closes; close them now, after the server has timed out.
            foreach (var s in silent)
            {
                s.Dispose();
            }

            silent.Clear();
            await Poll.TryUntilAsync(() => ServerTw() >= expectedServer && ClientTw() >= connections - (serverClosesFirst ? connections : 0), TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
            return new ProtocolDesignOutcome(serverClosesFirst ? "server-closes-first" : "client-closes-first", connections, vanished, ServerTw(), ClientTw(), timeouts);
        }
        finally
        {
            foreach (var s in silent)
            {
                s.Dispose();
            }
        }
    }

    private static Socket Connect(IPEndPoint server)
    {
        var native = NativeSocket.Create();
        try
        {
            native.Connect(server).ThrowIfFailed();
            return native.ToSocket();
        }
        catch
        {
            native.Dispose();
            throw;
        }
    }

}
