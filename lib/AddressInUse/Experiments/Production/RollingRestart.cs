using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using AddressInUse.Cases;
using AddressInUse.Display;
using AddressInUse.Lab;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Experiments.Production;

/// <summary>One rolling restart in its own lab namespace: the order the old server stopped in, tcp_migrate_req, and what the clients got.</summary>
/// <param name="Order">"close-with-queue" (stop accepting, close later without draining) or "steer-drain-close" (send new connections to the new server, drain, close).</param>
/// <param name="MigrateReq">net.ipv4.tcp_migrate_req in the namespace.</param>
/// <param name="Connections">Client connections made, at a steady pace, across the restart.</param>
/// <param name="ServedByOld">Connections the old server accepted and answered.</param>
/// <param name="ServedByNew">Connections the new server accepted and answered.</param>
/// <param name="Reset">Connections the clients saw reset (ECONNRESET) before any answer.</param>
/// <param name="Other">Connections that ended any other way (refused, timed out).</param>
/// <param name="QueuedAtClose">Connections waiting in the listeners' accept queues when the old one closed.</param>
/// <param name="IntruderAccepted">Of the connections made after a third SO_REUSEPORT socket of the same user joined the port, how many it took.</param>
/// <param name="IntruderProbes">How many connections were made after it joined.</param>
public sealed record RollingRestartRun(string Order, string MigrateReq, int Connections, int ServedByOld, int ServedByNew, int Reset, int Other, int QueuedAtClose, int IntruderAccepted, int IntruderProbes);

/// <summary>Scenario P4: a rolling restart with SO_REUSEPORT, old and new server on one port, in the private network lab.</summary>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="Runs">One run per order × tcp_migrate_req.</param>
/// <param name="HostMigrateReq">This machine's own tcp_migrate_req, read, never written.</param>
public sealed record RollingRestartOutcome(LabAvailability Lab, IReadOnlyList<RollingRestartRun> Runs, string? HostMigrateReq) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Runs.Select(r => new CaseRecord("P4", $"{r.Order}-migrate{r.MigrateReq}", "dotnet", "tcp", "listen",
        new SocketSide("127.0.0.1", "tcp", [SocketOptionNames.ReusePort]), new SocketSide("127.0.0.1", "tcp", [SocketOptionNames.ReusePort]),
        "accept", r.Reset == 0 && r.Other == 0 ? "ok" : "ECONNRESET", r.Reset == 0 && r.Other == 0 ? null : Errno.NumberOf("ECONNRESET", OsFamily.Linux))
    {
        Settings = new Dictionary<string, string> { ["net.ipv4.tcp_migrate_req"] = r.MigrateReq },
        Details = new JsonObject
        {
            ["connections"] = r.Connections,
            ["served_by_old"] = r.ServedByOld,
            ["served_by_new"] = r.ServedByNew,
            ["reset"] = r.Reset,
            ["other"] = r.Other,
            ["queued_at_close"] = r.QueuedAtClose,
            ["intruder_accepted"] = r.IntruderAccepted,
            ["intruder_probes"] = r.IntruderProbes,
            ["where"] = "private network namespace",
        },
    });

    /// <summary>One row per run.</summary>
    public override string ToHtml() => !Lab.Available
        ? $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p><p>This machine's own tcp_migrate_req (read, not changed): {Html.E(HostMigrateReq ?? "n/a")}.</p>"
        : $"<p>Measured in private network namespaces; this machine's own tcp_migrate_req, untouched: {Html.E(HostMigrateReq ?? "n/a")}.</p>" + Html.Table(
            ["how the old server stopped", "tcp_migrate_req", "connections", "answered by old", "answered by new", "reset", "other", "queued at close", "a third socket took"],
            Runs.Select(r => new[]
            {
                r.Order == "close-with-queue" ? "stop accepting, close later (queue not drained)" : "steer new connections away, drain, close",
                $"<code>{r.MigrateReq}</code>", r.Connections.ToString(), r.ServedByOld.ToString(), r.ServedByNew.ToString(),
                r.Reset == 0 ? "0" : Html.Badge("ECONNRESET") + $" {r.Reset}", r.Other.ToString(), r.QueuedAtClose.ToString(), $"{r.IntruderAccepted} of {r.IntruderProbes}",
            }));

    /// <summary>One line per run.</summary>
    public override string ToString() => Lab.Available
        ? string.Join(Environment.NewLine, Runs.Select(r => $"{r.Order} migrate_req={r.MigrateReq}: old {r.ServedByOld}, new {r.ServedByNew}, reset {r.Reset}, other {r.Other}, queued {r.QueuedAtClose}, intruder {r.IntruderAccepted}/{r.IntruderProbes}"))
        : $"P4 not measured: {Lab.Reason}";
}

/// <summary>
/// Scenario P4: does a rolling restart on a shared SO_REUSEPORT port drop connections, and which order or setting stops that?
/// Both servers are .NET sockets given SO_REUSEPORT alone with SetRawSocketOption, as a C# service would.
/// </summary>
public static class RollingRestart
{
    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "rolling-restart";

    /// <summary>The orders × settings the chapter compares.</summary>
    public static IReadOnlyList<(string Order, string MigrateReq)> Runs { get; } =
        [("close-with-queue", "0"), ("close-with-queue", "1"), ("steer-drain-close", "0"), ("steer-drain-close", "1")];

    /// <summary>The C# spelling of SO_REUSEPORT alone on Linux: SOL_SOCKET is 1, SO_REUSEPORT 15 (asm-generic/socket.h).</summary>
    public static void SetReusePort(Socket socket) => socket.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));

    /// <summary>Runs every order × tcp_migrate_req, each in its own private namespace; without the lab it says why and measures nothing.</summary>
    /// <param name="connections">Client connections per run, at 200 a second (20–2000).</param>
    /// <param name="cancellationToken">Ends the lab's children.</param>
    public static async Task<RollingRestartOutcome> RunAsync(int connections = 200, CancellationToken cancellationToken = default)
    {
        if (connections is < 20 or > 2000)
        {
            throw new ArgumentOutOfRangeException(nameof(connections), $"connections must be 20-2000 (got {connections}). Fix: use the default.");
        }
        var host = LabSettings.Read("net.ipv4.tcp_migrate_req");
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new RollingRestartOutcome(lab, [], host);
        }
        var results = await Task.WhenAll(Runs.Select(r => NetworkLab.RunAsync(Experiment,
            new Dictionary<string, string> { ["net.ipv4.tcp_migrate_req"] = r.MigrateReq },
            new JsonObject { ["order"] = r.Order, ["connections"] = connections }, TimeSpan.FromSeconds(90), cancellationToken))).ConfigureAwait(false);
        return new RollingRestartOutcome(lab, results.Select(r => new RollingRestartRun(
            r["order"]!.GetValue<string>(), r["settings"]!["net.ipv4.tcp_migrate_req"]!.GetValue<string>(), r["connections"]!.GetValue<int>(),
            r["old"]!.GetValue<int>(), r["new"]!.GetValue<int>(), r["reset"]!.GetValue<int>(), r["other"]!.GetValue<int>(), r["queued_at_close"]!.GetValue<int>(),
            r["intruder_accepted"]!.GetValue<int>(), r["intruder_probes"]!.GetValue<int>())).ToList(), host);
    }

    /// <summary>The lab child's side: old and new server on one port, a steady stream of clients, and the old server stopping in the given order.</summary>
    [InsideLab(Experiment)]
    internal static async Task<JsonObject> MeasureInsideAsync(JsonObject arguments)
    {
        var order = arguments["order"]!.GetValue<string>();
        var total = arguments["connections"]!.GetValue<int>();
        using var old = Listener(0);
        var port = ((IPEndPoint)old.LocalEndPoint!).Port;
        using var fresh = Listener(port);
        using var stopOld = new CancellationTokenSource();
        using var stopNew = new CancellationTokenSource();
        var oldServing = ServeAsync(old, (byte)'o', stopOld.Token);
        var newServing = ServeAsync(fresh, (byte)'n', stopNew.Token);
        var clients = new List<Task<string>>();
        var queued = 0;
        // A steady stream: 200 connections a second; the timer sets the pace and waits for nothing.
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(5)))
        {
            for (var i = 0; i < total; i++)
            {
                await pace.WaitForNextTickAsync().ConfigureAwait(false);
                if (i == total * 2 / 5)
                {
                    if (order == "steer-drain-close")
                    {
                        // Stop accepting: every new connection goes to the new server (the group's second socket) from now on.
                        SteerTo(fresh, index: 1);
                        await DrainAsync(old, stopOld).ConfigureAwait(false);
                    }
                    else
                    {
                        // The mistake: the old server stops accepting (shutting down) but stays in the group while it finishes.
                        await stopOld.CancelAsync().ConfigureAwait(false);
                    }
                }
                if (i == total * 7 / 10)
                {
                    queued = AcceptQueue(port);
                    await oldServing.ConfigureAwait(false);
                    old.Close();
                }
                clients.Add(ClientAsync(port));
            }
        }
        var outcomes = await Task.WhenAll(clients).ConfigureAwait(false);

        // The danger of SO_REUSEPORT: any socket of the same user that sets it joins the port and takes a share of new connections.
        using var intruder = Listener(port);
        var intruderAccepted = 0;
        const int probes = 40;
        using (var stopIntruder = new CancellationTokenSource())
        {
            if (order == "steer-drain-close")
            {
                // The steering program would now pick the third socket by its index; remove it, so the kernel spreads by hash again.
                SteerTo(fresh, index: -1);
            }
            var intruding = ServeAsync(intruder, (byte)'i', stopIntruder.Token);
            var probeResults = await Task.WhenAll(Enumerable.Range(0, probes).Select(_ => ClientAsync(port))).ConfigureAwait(false);
            intruderAccepted = probeResults.Count(r => r == "i");
            await stopIntruder.CancelAsync().ConfigureAwait(false);
            await intruding.ConfigureAwait(false);
        }
        await stopNew.CancelAsync().ConfigureAwait(false);
        await newServing.ConfigureAwait(false);
        return new JsonObject
        {
            ["order"] = order,
            ["connections"] = total,
            ["old"] = outcomes.Count(o => o == "o"),
            ["new"] = outcomes.Count(o => o == "n"),
            ["reset"] = outcomes.Count(o => o == "reset"),
            ["other"] = outcomes.Count(o => o is not ("o" or "n" or "reset")),
            ["queued_at_close"] = queued,
            ["intruder_accepted"] = intruderAccepted,
            ["intruder_probes"] = probes,
        };
    }

    // The course's table readers leave a listener's queues out (they are not bytes); /proc/net/tcp's rx_queue of a LISTEN row is its accept queue.
    private static int AcceptQueue(int port) => File.ReadLines("/proc/net/tcp").Skip(1)
        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(f => f.Length > 4 && f[3] == "0A" && Convert.ToInt32(f[1].Split(':')[1], 16) == port)
        .Sum(f => Convert.ToInt32(f[4].Split(':')[1], 16));

    private static Socket Listener(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SetReusePort(socket);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Listen(512);
        return socket;
    }

    // Accepts until cancelled and answers each connection with one byte that names the server.
    private static async Task ServeAsync(Socket listener, byte name, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                using var connection = await listener.AcceptAsync(stop).ConfigureAwait(false);
                await connection.SendAsync(new[] { name }, SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped accepting: what is still queued stays queued.
        }
    }

    // Drain: stop the accept loop, then accept what is already queued until the queue stays empty, answering each.
    private static async Task DrainAsync(Socket old, CancellationTokenSource stopOld)
    {
        await stopOld.CancelAsync().ConfigureAwait(false);
        await Poll.TryUntilAsync(() =>
        {
            while (old.Poll(0, SelectMode.SelectRead))
            {
                using var connection = old.Accept();
                connection.Send([(byte)'o']);
            }
            return true;
        }, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    private static async Task<string> ClientAsync(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), deadline.Token).ConfigureAwait(false);
            var buffer = new byte[1];
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return read == 1 ? ((char)buffer[0]).ToString() : "closed";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode.ToString();
        }
        catch (OperationCanceledException)
        {
            return "timeout";
        }
    }

    // SO_ATTACH_REUSEPORT_CBPF (51): a classic BPF program that returns the index of the group's socket to use ("ret #index");
    // SO_DETACH_REUSEPORT_BPF (68) removes it (index -1 here).
    private static unsafe void SteerTo(Socket member, int index)
    {
        if (index < 0)
        {
            member.SetRawSocketOption(1, 68, BitConverter.GetBytes(0));
            return;
        }
        var filter = Marshal.AllocHGlobal(8);
        try
        {
            // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: BPF_RET|BPF_K (0x06) with k = index.
            *(ulong*)filter = 0x06UL | ((ulong)(uint)index << 32);
            var program = new byte[16];
            fixed (byte* p = program)
            {
                *(ushort*)p = 1;
                *(IntPtr*)(p + 8) = filter;
            }
            member.SetRawSocketOption(1, 51, program);
        }
        finally
        {
            Marshal.FreeHGlobal(filter);
        }
    }
}
