using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// D7 five-tuple: can two connections share one local port, and what must still differ? A server accepts two clients on
/// its one port; then two client sockets bind the same local port (both with SO_REUSEADDR) and connect to two different
/// servers, a third tries the first server again from that port, and a fourth tries to bind the port with no option.
/// </summary>
public static class FiveTuple
{
    // Under Wine a TCP table read can take seconds (docs/wine.md): there 5 s would be one or two reads, not a real wait.
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(Native.WineHost.IsWine ? 60 : 5);

    /// <summary>Runs the experiment on loopback, on ports the OS chooses, and returns every attempt and the connections seen.</summary>
    /// <param name="api">The path the client sockets that share a port bind through (the servers and plain clients are .NET sockets).</param>
    /// <param name="cancellationToken">Cancels the wait for the TCP table; every socket is still closed.</param>
    public static async Task<FiveTupleOutcome> MeasureAsync(BindApi api = BindApi.Native, CancellationToken cancellationToken = default)
    {
        OsInfo.EnsureSupported();
        using var scope = new SocketScope();
        var loopback = IPAddress.Loopback;
        Socket Listen()
        {
            var server = scope.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            server.Bind(new IPEndPoint(loopback, 0));
            server.Listen(8);
            return server;
        }

        // The server side: one listening port, two accepted connections, both with that port as their local port.
        var server = Listen();
        var serverEnd = (IPEndPoint)server.LocalEndPoint!;
        var attempts = new List<FiveTupleAttempt>();
        for (var i = 1; i <= 2; i++)
        {
            var client = scope.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            client.Connect(serverEnd);
            scope.Add(server.Accept());
            attempts.Add(new FiveTupleAttempt($"server-accepts-client-{i}", $"client {i} connects to the server",
                "none", ((IPEndPoint)client.LocalEndPoint!).ToString(), serverEnd.ToString(), new[] { StepResult.Success("connect") }));
        }

        // The client side: one local port, shared by two connections to two different servers.
        var serverA = Listen();
        var serverB = Listen();
        var endA = (IPEndPoint)serverA.LocalEndPoint!;
        var endB = (IPEndPoint)serverB.LocalEndPoint!;
        var port = PortSharing.ReservePort();
        var local = new IPEndPoint(loopback, port);
        FiveTupleAttempt Client(string name, string label, SocketOptionSet options, IPEndPoint? target, Socket? acceptOn)
        {
            var socket = scope.Add(CaseSocket.Create(api, ProtocolType.Tcp, options));
            var steps = new List<StepResult>();
            if (!socket.OptionsResult.Ok)
            {
                steps.Add(socket.OptionsResult);
            }
            else
            {
                var bind = socket.Bind(local);
                steps.Add(bind);
                if (bind.Ok && target is not null)
                {
                    var connect = socket.Connect(target);
                    steps.Add(connect);
                    if (connect.Ok)
                    {
                        scope.Add(acceptOn!.Accept());
                    }
                }
            }
            return new FiveTupleAttempt(name, label, OptionChoices.ToLabel(options, api), local.ToString(), target?.ToString(), steps);
        }
        attempts.Add(Client("client-port-to-server-a", "client socket 1 binds the shared port and connects to server A", SocketOptionSet.ReuseAddress, endA, serverA));
        attempts.Add(Client("client-port-to-server-b", "client socket 2 binds the same port and connects to server B", SocketOptionSet.ReuseAddress, endB, serverB));
        attempts.Add(Client("client-port-to-server-a-again", "client socket 3 binds the same port and connects to server A again", SocketOptionSet.ReuseAddress, endA, serverA));
        attempts.Add(Client("client-port-without-option", "client socket 4 binds the same port with no option", SocketOptionSet.None, null, null));

        // The OS's table, once every connection made above shows as ESTABLISHED at both ends.
        // Rows whose local port is one of the two shared ports: the server's two accepted connections and the clients' connections.
        var expected = attempts.Count(a => a.Ok && a.Remote is not null);
        IReadOnlyList<TcpEntry> rows = Array.Empty<TcpEntry>();
        await Poll.UntilAsync(() =>
        {
            rows = TcpTable.Read(e => (e.Local.Port == serverEnd.Port || e.Local.Port == port) && e.State == TcpState.Established);
            return rows.Count >= expected;
        }, StateTimeout, "every connection of the experiment to show as ESTABLISHED", cancellationToken: cancellationToken).ConfigureAwait(false);
        var connections = rows
            .OrderBy(e => e.Local.Port).ThenBy(e => e.Remote.Port)
            .Select(e => new FiveTupleRow("tcp", e.Local.Address.ToString(), e.Local.Port, e.Remote.Address.ToString(), e.Remote.Port, e.StateName,
                e.Local.Port == serverEnd.Port ? "server side: two clients on the server's one port" : "client side: two connections from one local port"))
            .ToList();
        return new FiveTupleOutcome(api, serverEnd.Port, port, attempts, connections);
    }
}

/// <summary>One attempt of the D7 experiment.</summary>
/// <param name="Name">The case name in results.json.</param>
/// <param name="Label">What a reader sees.</param>
/// <param name="Options">The options the socket set before bind.</param>
/// <param name="Local">The local address and port it used.</param>
/// <param name="Remote">The server it connected to, or null where it did not try.</param>
/// <param name="Steps">Its steps in order; the last one decides.</param>
public sealed record FiveTupleAttempt(string Name, string Label, string Options, string Local, string? Remote, IReadOnlyList<StepResult> Steps)
{
    /// <summary>The first failed step, or the last step when all succeeded.</summary>
    public StepResult Decisive => Steps.FirstOrDefault(s => !s.Ok) ?? Steps[^1];

    /// <summary>Whether every step succeeded.</summary>
    public bool Ok => Steps.All(s => s.Ok);
}

/// <summary>One connection as the OS's table shows it: the five values that identify it, and its state.</summary>
/// <param name="Protocol">"tcp".</param>
/// <param name="LocalAddress">The local address.</param>
/// <param name="LocalPort">The local port.</param>
/// <param name="RemoteAddress">The remote address.</param>
/// <param name="RemotePort">The remote port.</param>
/// <param name="State">The TCP state.</param>
/// <param name="Group">Which half of the experiment it belongs to.</param>
public sealed record FiveTupleRow(string Protocol, string LocalAddress, int LocalPort, string RemoteAddress, int RemotePort, string State, string Group);

/// <summary>The D7 attempts and the connections they left in the OS's table.</summary>
/// <param name="Api">The path the port-sharing client sockets bound through.</param>
/// <param name="ServerPort">The server's one port, shared by its accepted connections.</param>
/// <param name="SharedClientPort">The local port the client sockets shared.</param>
/// <param name="Attempts">Every attempt, in order.</param>
/// <param name="Connections">The ESTABLISHED connections on the two shared ports, from the OS's TCP table.</param>
public sealed record FiveTupleOutcome(BindApi Api, int ServerPort, int SharedClientPort, IReadOnlyList<FiveTupleAttempt> Attempts, IReadOnlyList<FiveTupleRow> Connections)
    : MeasuredResult
{
    /// <summary>The attempts as results.json records (scenario D7).</summary>
    public override IEnumerable<CaseRecord> Cases => Attempts.Select(a => new CaseRecord(
        "D7",
        a.Name,
        Api == BindApi.Native ? "native" : "dotnet",
        "tcp",
        a.Name.StartsWith("server", StringComparison.Ordinal) ? "listen" : "connected",
        new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()),
        new SocketSide("127.0.0.1", "tcp", a.Options is "none" or "plain Bind" ? Array.Empty<string>() : new[] { SocketOptionNames.ReuseAddress }),
        a.Decisive.Step,
        a.Decisive.Outcome,
        a.Decisive.Error?.Number)
    {
        Details = new JsonObject
        {
            ["label"] = a.Label,
            ["local"] = a.Local,
            ["remote"] = a.Remote,
            ["steps"] = new JsonObject(a.Steps.Select(s => KeyValuePair.Create(s.Step, (JsonNode?)JsonValue.Create(s.Outcome)))),
        },
    });

    /// <summary>The attempts, then the connections with their five values.</summary>
    public override string ToHtml()
    {
        var attempts = Html.Table(
            new[] { "attempt", "options", "local", "remote", "steps" },
            Attempts.Select(a => new[]
            {
                Html.E(a.Label),
                Html.E(a.Options),
                $"<code>{Html.E(a.Local)}</code>",
                a.Remote is null ? "—" : $"<code>{Html.E(a.Remote)}</code>",
                string.Join(" ", a.Steps.Select(s => $"{Html.E(s.Step)} {Html.Badge(s.Outcome, s.Error is null ? "ok" : $"{s.Error.Name} ({s.Error.Number}): {s.Error.Description}")}")),
            }));
        var rows = Html.Table(
            new[] { "protocol", "local address", "local port", "remote address", "remote port", "state", "" },
            Connections.Select(c => new[]
            {
                Html.E(c.Protocol), Html.E(c.LocalAddress), $"<b>{c.LocalPort}</b>", Html.E(c.RemoteAddress), $"<b>{c.RemotePort}</b>", Html.E(c.State), $"<small>{Html.E(c.Group)}</small>",
            }));
        return $"<div class=\"course-outcome\"><p><b>D7: what each attempt got</b></p>{attempts}<p><b>The OS's TCP table: connections on the shared ports</b></p>{rows}</div>";
    }

    /// <summary>One attempt a line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Attempts.Select(a => $"{a.Label}: {a.Decisive}"));
}
