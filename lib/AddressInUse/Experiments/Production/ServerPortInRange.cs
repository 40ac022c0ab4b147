using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Diagnosis;
using AddressInUse.Lab;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Production;

/// <summary>One server start on port P after a busy client filled the ephemeral range that P lies in.</summary>
/// <param name="Reserved">Whether P was in net.ipv4.ip_local_reserved_ports.</param>
/// <param name="Server">"native, no options", "native, SO_REUSEADDR" or "plain .NET".</param>
/// <param name="Step">The step that decided: "bind" or "listen".</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The errno number, or null.</param>
public sealed record ServerStart(bool Reserved, string Server, string Step, string Outcome, int? Errno);

/// <summary>What the client's connections did in one round: how many it made, whether one got P, and how the last one failed.</summary>
/// <param name="Reserved">Whether P was reserved.</param>
/// <param name="Connected">Connections made.</param>
/// <param name="Attempted">Connections tried (one per port of the range).</param>
/// <param name="TookServerPort">Whether one of them got P as its local port.</param>
/// <param name="Failure">The errno name of the first connect that failed, or null.</param>
/// <param name="Listeners">LISTEN rows on P in the TCP table when the server tried (none: nothing listens).</param>
/// <param name="Holders">Every row on P then ("127.0.0.1:P → 127.0.0.1:D ESTABLISHED").</param>
/// <param name="Advice">What `diagnose` said about P then.</param>
public sealed record ClientRound(bool Reserved, int Connected, int Attempted, bool TookServerPort, string? Failure, int Listeners, IReadOnlyList<string> Holders, IReadOnlyList<string> Advice);

/// <summary>Scenario P5 in the private network lab: a server port inside the ephemeral range, without and with ip_local_reserved_ports.</summary>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="Range">The lab's ip_local_port_range while the client ran.</param>
/// <param name="ServerPort">P.</param>
/// <param name="Rounds">The client's rounds, unreserved then reserved.</param>
/// <param name="Starts">Every server start.</param>
/// <param name="HostRange">This machine's own ip_local_port_range, read, never written.</param>
/// <param name="HostReserved">This machine's own ip_local_reserved_ports, read, never written.</param>
public sealed record ServerPortInRangeOutcome(LabAvailability Lab, string Range, int ServerPort, IReadOnlyList<ClientRound> Rounds, IReadOnlyList<ServerStart> Starts, string? HostRange, string? HostReserved) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Starts.Select(s =>
    {
        var round = Rounds.First(r => r.Reserved == s.Reserved);
        return new CaseRecord("P5", $"{(s.Reserved ? "reserved" : "unreserved")}-{Slug(s.Server)}", s.Server.StartsWith("plain", StringComparison.Ordinal) ? "dotnet" : "native", "tcp",
            round.TookServerPort ? "established" : "none",
            new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", s.Server.Contains("SO_REUSEADDR", StringComparison.Ordinal) ? [SocketOptionNames.ReuseAddress] : []),
            s.Step, s.Outcome, s.Errno)
        {
            Settings = new Dictionary<string, string> { ["net.ipv4.ip_local_port_range"] = Range, ["net.ipv4.ip_local_reserved_ports"] = s.Reserved ? ServerPort.ToString(CultureInfo.InvariantCulture) : "" },
            Details = new JsonObject
            {
                ["client_took_server_port"] = round.TookServerPort,
                ["client_connected"] = round.Connected,
                ["client_attempted"] = round.Attempted,
                ["client_failure"] = round.Failure,
                ["listeners_on_port"] = round.Listeners,
                ["diagnose_names_client"] = round.Advice.Any(a => a.Contains("ephemeral", StringComparison.Ordinal)),
                ["where"] = "private network namespace",
            },
        };
    });

    private static string Slug(string server) => server switch
    {
        "native, no options" => "native-none",
        "native, SO_REUSEADDR" => "native-reuseaddr",
        _ => "dotnet",
    };

    /// <summary>The two rounds side by side, and what diagnose said in the first.</summary>
    public override string ToHtml()
    {
        if (!Lab.Available)
        {
            return $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p><p>This machine's own range (read, not changed): {Html.E(HostRange ?? "n/a")}, reserved: {Html.E(string.IsNullOrEmpty(HostReserved) ? "none" : HostReserved)}.</p>";
        }
        var rows = Rounds.Select(r => new[]
        {
            r.Reserved ? $"reserved ({ServerPort})" : "not reserved",
            $"{r.Connected} of {r.Attempted}" + (r.Failure is { } f ? $" (then {Html.Badge(f)})" : ""),
            r.TookServerPort ? Html.Badge("EADDRINUSE", "a client has the port") + " yes" : "no",
            r.Listeners.ToString(CultureInfo.InvariantCulture),
        }.Concat(Starts.Where(s => s.Reserved == r.Reserved).Select(s => Html.Badge(s.Outcome) + $" <small>{Html.E(s.Step)}</small>")));
        var unreserved = Rounds.FirstOrDefault(r => !r.Reserved);
        var diagnosis = unreserved is null ? "" : $"<p>What <code>diagnose</code> said about port {ServerPort} in the first round:</p><ul>{string.Concat(unreserved.Holders.Select(h => $"<li><code>{Html.E(h)}</code></li>"))}{string.Concat(unreserved.Advice.Select(a => $"<li>{Html.E(a)}</li>"))}</ul>";
        return $"<p>Measured in a private network namespace: ephemeral range <code>{Html.E(Range)}</code>, server port P = {ServerPort}. This machine's own range, untouched: {Html.E(HostRange ?? "n/a")}.</p>"
            + Html.Table(new[] { "P in ip_local_reserved_ports", "client connections", "a client got P", "listeners on P" }.Concat(Starts.Where(s => !s.Reserved).Select(s => Html.E(s.Server))), rows) + diagnosis;
    }

    /// <summary>One line per server start.</summary>
    public override string ToString() => Lab.Available
        ? string.Join(Environment.NewLine, Starts.Select(s => $"{(s.Reserved ? "reserved" : "unreserved")} {s.Server}: {s.Step} {s.Outcome}"))
        : $"P5 not measured: {Lab.Reason}";
}

/// <summary>Scenario P5: can a server whose port lies inside the ephemeral range lose it to an outgoing connection, and does ip_local_reserved_ports prevent it?</summary>
public static class ServerPortInRange
{
    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "server-port-in-range";

    /// <summary>How many ports the lab's ephemeral range holds; the client opens one connection per port.</summary>
    public const int RangePorts = 8;

    /// <summary>Runs both rounds in one private namespace; without the lab it says why and measures nothing.</summary>
    public static async Task<ServerPortInRangeOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        var hostRange = LabSettings.Read("net.ipv4.ip_local_port_range");
        var hostReserved = LabSettings.Read("net.ipv4.ip_local_reserved_ports");
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new ServerPortInRangeOutcome(lab, "", 0, [], [], hostRange, hostReserved);
        }
        var r = await NetworkLab.RunAsync(Experiment, new Dictionary<string, string>(), timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken).ConfigureAwait(false);
        var rounds = r["rounds"]!.AsArray().Select(x => new ClientRound(
            x!["reserved"]!.GetValue<bool>(), x["connected"]!.GetValue<int>(), x["attempted"]!.GetValue<int>(), x["took_server_port"]!.GetValue<bool>(),
            x["failure"]?.GetValue<string>(), x["listeners"]!.GetValue<int>(),
            x["holders"]!.AsArray().Select(h => h!.GetValue<string>()).ToList(), x["advice"]!.AsArray().Select(a => a!.GetValue<string>()).ToList())).ToList();
        var starts = r["starts"]!.AsArray().Select(x => new ServerStart(
            x!["reserved"]!.GetValue<bool>(), x["server"]!.GetValue<string>(), x["step"]!.GetValue<string>(), x["outcome"]!.GetValue<string>(), x["errno"]?.GetValue<int>())).ToList();
        return new ServerPortInRangeOutcome(lab, r["range"]!.GetValue<string>(), r["server_port"]!.GetValue<int>(), rounds, starts, hostRange, hostReserved);
    }

    /// <summary>The lab child's side: a dependency server, a range of <see cref="RangePorts"/> ports around P, and two rounds.</summary>
    [InsideLab(Experiment)]
    internal static JsonObject MeasureInside()
    {
        // The dependency (a database, another service) the client talks to; its port comes from the default range, outside P's.
        using var dependency = NativeSocket.ListenOnLoopback(64);
        var target = (IPEndPoint)dependency.LocalEndPoint!;
        var p = FreePortAwayFrom(target.Port);
        var range = $"{p - 3} {p + RangePorts - 4}";
        var rounds = new JsonArray();
        var starts = new JsonArray();
        foreach (var reserved in new[] { false, true })
        {
            LabSettings.Write("net.ipv4.ip_local_reserved_ports", reserved ? p.ToString(CultureInfo.InvariantCulture) : "");
            LabSettings.Write("net.ipv4.ip_local_port_range", range);
            var clients = new List<Socket>();
            try
            {
                // A busy client: one connection per port of the range, as a connection pool under load opens them.
                string? failure = null;
                for (var i = 0; i < RangePorts && failure is null; i++)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        client.Connect(target);
                        clients.Add(client);
                    }
                    catch (SocketException e)
                    {
                        client.Dispose();
                        failure = Errno.FromCurrentOs(e.NativeErrorCode).Name;
                    }
                }
                var diagnosis = PortDiagnosis.Run(p);
                rounds.Add(new JsonObject
                {
                    ["reserved"] = reserved,
                    ["connected"] = clients.Count,
                    ["attempted"] = clients.Count + (failure is null ? 0 : 1),
                    ["took_server_port"] = clients.Any(c => ((IPEndPoint)c.LocalEndPoint!).Port == p),
                    ["failure"] = failure,
                    ["listeners"] = TcpTable.Read(e => e.Local.Port == p && e.State == System.Net.NetworkInformation.TcpState.Listen).Count,
                    ["holders"] = new JsonArray(diagnosis.Holders.Select(h => (JsonNode?)JsonValue.Create($"{h.Local} → {h.Remote} {h.State}")).ToArray()),
                    ["advice"] = new JsonArray(diagnosis.Advice.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                });
                foreach (var (server, native, options) in new[] { ("native, no options", true, SocketOptionSet.None), ("native, SO_REUSEADDR", true, SocketOptionSet.ReuseAddress), ("plain .NET", false, SocketOptionSet.None) })
                {
                    var result = StartServer(p, native, options);
                    starts.Add(new JsonObject { ["reserved"] = reserved, ["server"] = server, ["step"] = result.Step, ["outcome"] = result.Outcome, ["errno"] = result.Error?.Number });
                }
            }
            finally
            {
                foreach (var client in clients)
                {
                    // Reset, so the next round starts with the range empty instead of full of TIME_WAIT.
                    client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                }
            }
        }
        return new JsonObject { ["range"] = range, ["server_port"] = p, ["rounds"] = rounds, ["starts"] = starts };
    }

    private static StepResult StartServer(int port, bool native, SocketOptionSet options) => LoopbackServer.TryStart(port, native, options, backlog: 16);

    // A port the OS hands out (so free here), far enough from the dependency's that the small range around it leaves that one out.
    private static int FreePortAwayFrom(int other)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var probe = NativeSocket.Create();
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
            var port = probe.LocalEndPoint!.Port;
            if (Math.Abs(port - other) > RangePorts && port > 1100)
            {
                return port;
            }
        }
        throw new InvalidOperationException("Could not find a port away from the dependency server's in 20 tries.");
    }
}
