using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Lab;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.ClientSide;

/// <summary>One E3 attempt: a new connection from a local port whose old connection to the server is in TIME_WAIT.</summary>
/// <param name="TwReuse">net.ipv4.tcp_tw_reuse in the lab's namespace ("0", "1" or "2").</param>
/// <param name="Timestamps">net.ipv4.tcp_timestamps in the lab's namespace ("0" or "1").</param>
/// <param name="Bind">"explicit" (bind to the port, then connect) or "ephemeral" (no bind; the ephemeral range is that one port).</param>
/// <param name="When">"immediately" after TIME_WAIT began, or "after_delay" (once tcp_tw_reuse_delay has passed).</param>
/// <param name="Destination">"same" server (the TIME_WAIT's own 4-tuple) or "other" server port.</param>
/// <param name="Step">The step that decided: "bind" or "connect".</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The errno number, or null.</param>
/// <param name="OldState">The old connection's state just before the attempt ("TIME_WAIT").</param>
/// <param name="SecondsAfterTimeWait">How long after the old connection entered TIME_WAIT the attempt was made.</param>
public sealed record TimeWaitReuseCase(string TwReuse, string Timestamps, string Bind, string When, string Destination, string Step, string Outcome, int? Errno, string OldState, double SecondsAfterTimeWait)
{
    /// <summary>Whether the new connection was made.</summary>
    public bool Connected => Outcome == "ok";
}

/// <summary>Scenario E3 measured in the private network lab: every tcp_tw_reuse × tcp_timestamps setting, explicit bind and ephemeral port, at once and after the delay, same and other server.</summary>
/// <param name="Lab">Whether the lab ran, and why not when it did not.</param>
/// <param name="Attempts">Every attempt (empty when the lab could not run).</param>
/// <param name="ReuseDelayMs">tcp_tw_reuse_delay in the lab (1000 ms where the kernel has no such setting).</param>
/// <param name="HostSettings">The machine's own tcp_tw_reuse and tcp_timestamps, read (never written).</param>
public sealed record TimeWaitReuseOutcome(LabAvailability Lab, IReadOnlyList<TimeWaitReuseCase> Attempts, int ReuseDelayMs, IReadOnlyDictionary<string, string?> HostSettings) : MeasuredResult
{
    /// <summary>The attempt for one combination, or null when not measured.</summary>
    public TimeWaitReuseCase? Find(string twReuse, string timestamps, string bind, string when, string destination) =>
        Attempts.FirstOrDefault(a => a.TwReuse == twReuse && a.Timestamps == timestamps && a.Bind == bind && a.When == when && a.Destination == destination);

    /// <summary>Whether every measured attempt matching the filter connected (false when none matched).</summary>
    public bool AllConnected(Func<TimeWaitReuseCase, bool> which) => Attempts.Where(which).ToList() is { Count: > 0 } some && some.All(a => a.Connected);

    /// <summary>Whether every measured attempt matching the filter failed (false when none matched).</summary>
    public bool NoneConnected(Func<TimeWaitReuseCase, bool> which) => Attempts.Where(which).ToList() is { Count: > 0 } some && some.All(a => !a.Connected);

    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Attempts.Select(a => new CaseRecord(
        "E3", $"{a.Bind}-{a.Destination}-{a.When}-tw_reuse{a.TwReuse}-ts{a.Timestamps}", "native", "tcp", "time_wait",
        new SocketSide("127.0.0.1", "tcp", a.Bind == "explicit" ? [SocketOptionNames.ReuseAddress] : []),
        new SocketSide("127.0.0.1", "tcp", a.Bind == "explicit" ? [SocketOptionNames.ReuseAddress] : []),
        a.Step, a.Outcome, a.Errno)
    {
        Settings = new Dictionary<string, string> { ["net.ipv4.tcp_tw_reuse"] = a.TwReuse, ["net.ipv4.tcp_timestamps"] = a.Timestamps },
        Details = new JsonObject
        {
            ["bind"] = a.Bind,
            ["when"] = a.When,
            ["destination"] = a.Destination,
            ["old_state_at_attempt"] = a.OldState,
            ["seconds_after_time_wait"] = Math.Round(a.SecondsAfterTimeWait, 3),
            ["tcp_tw_reuse_delay_ms"] = ReuseDelayMs,
            ["where"] = "private network namespace",
        },
    });

    private static readonly (string Bind, string Destination, string When, string Label)[] Columns =
    [
        ("explicit", "same", "immediately", "bound, same server, at once"),
        ("explicit", "same", "after_delay", "bound, same server, after the delay"),
        ("explicit", "other", "immediately", "bound, other server"),
        ("ephemeral", "same", "immediately", "ephemeral, same server, at once"),
        ("ephemeral", "same", "after_delay", "ephemeral, same server, after the delay"),
        ("ephemeral", "other", "immediately", "ephemeral, other server"),
    ];

    /// <summary>One row per setting, one column per way of reconnecting.</summary>
    public override string ToHtml()
    {
        var host = string.Join(", ", HostSettings.Select(s => $"{s.Key}={s.Value ?? "n/a"}"));
        if (!Lab.Available)
        {
            return $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p><p>This machine's own settings (read, not changed): {Html.E(host)}.</p>";
        }
        var settings = Attempts.Select(a => (a.TwReuse, a.Timestamps)).Distinct().OrderBy(k => k.TwReuse).ThenBy(k => k.Timestamps).ToList();
        // One table per way of choosing the client port, three attempts each: all eight columns side by side do not fit a page.
        string TableOf(string bind, string title)
        {
            var columns = Columns.Where(c => c.Bind == bind).ToList();
            var rows = settings.Select(k =>
                new[] { $"<code>{k.TwReuse}</code>", $"<code>{k.Timestamps}</code>" }.Concat(columns.Select(c =>
                    Find(k.TwReuse, k.Timestamps, c.Bind, c.When, c.Destination) is { } a
                        // Every attempt's deciding step is connect() unless a bind before it failed: only that is worth a line.
                        ? Html.Badge(a.Outcome, $"{a.Step} at {a.SecondsAfterTimeWait:0.00} s") + (a.Step == "connect" ? "" : $"<br><small>{Html.E(a.Step)}</small>")
                        : "—")));
            return $"<p><b>{Html.E(title)}</b></p>" + Html.Table(new[] { "tcp_tw_reuse", "tcp_timestamps" }.Concat(columns.Select(c => c.Label[(c.Label.IndexOf(", ", StringComparison.Ordinal) + 2)..])), rows);
        }
        return $"<p>Measured in a private network namespace ({Html.E(Lab.Reason)}); the delay is tcp_tw_reuse_delay = {ReuseDelayMs} ms. This machine's own settings, untouched: {Html.E(host)}.</p>"
            + TableOf("explicit", "The client binds its old port before connecting (bind before connect)")
            + TableOf("ephemeral", "The OS picks the client port (ephemeral)");
    }

    /// <summary>One line per attempt.</summary>
    public override string ToString() => Lab.Available
        ? string.Join(Environment.NewLine, Attempts.Select(a => $"tw_reuse={a.TwReuse} ts={a.Timestamps} {a.Bind} {a.Destination} {a.When}: {a.Step} {a.Outcome}"))
        : $"E3 not measured: {Lab.Reason}";
}

/// <summary>Scenario E3: when may a new outgoing connection take over a 4-tuple still in TIME_WAIT? Measured for every tcp_tw_reuse × tcp_timestamps in the private network lab.</summary>
public static class TimeWaitReuse
{
    /// <summary>The lab experiment's name.</summary>
    public const string Experiment = "e3";

    /// <summary>The settings the chapter compares: tcp_tw_reuse 0/1/2 × tcp_timestamps 0/1.</summary>
    public static IReadOnlyList<(string TwReuse, string Timestamps)> Combinations { get; } =
        (from r in new[] { "0", "1", "2" } from t in new[] { "0", "1" } select (r, t)).ToList();

    /// <summary>Runs every combination, each in its own private namespace (all at once); without the lab it says why and measures nothing.</summary>
    public static async Task<TimeWaitReuseOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        var host = BindBeforeConnect.ReadSettings();
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new TimeWaitReuseOutcome(lab, [], 1000, host);
        }
        var runs = Combinations.Select(c => NetworkLab.RunAsync(Experiment,
            new Dictionary<string, string> { ["net.ipv4.tcp_tw_reuse"] = c.TwReuse, ["net.ipv4.tcp_timestamps"] = c.Timestamps },
            timeout: TimeSpan.FromSeconds(90), cancellationToken: cancellationToken)).ToList();
        var results = await Task.WhenAll(runs).ConfigureAwait(false);
        var attempts = new List<TimeWaitReuseCase>();
        var delay = 1000;
        foreach (var result in results)
        {
            var settings = result["settings"]!.AsObject();
            delay = result["tw_reuse_delay_ms"]!.GetValue<int>();
            foreach (var c in result["cases"]!.AsArray())
            {
                attempts.Add(new TimeWaitReuseCase(
                    settings["net.ipv4.tcp_tw_reuse"]!.GetValue<string>(), settings["net.ipv4.tcp_timestamps"]!.GetValue<string>(),
                    c!["bind"]!.GetValue<string>(), c["when"]!.GetValue<string>(), c["destination"]!.GetValue<string>(),
                    c["step"]!.GetValue<string>(), c["outcome"]!.GetValue<string>(), c["errno"]?.GetValue<int>(),
                    c["old_state"]!.GetValue<string>(), c["seconds"]!.GetValue<double>()));
            }
        }
        return new TimeWaitReuseOutcome(lab, attempts, delay, host);
    }

    /// <summary>The lab child's side: with the namespace's settings already written, makes a fresh TIME_WAIT for every attempt and tries it.</summary>
    [InsideLab(Experiment)]
    internal static async Task<JsonObject> MeasureInsideAsync(CancellationToken cancellationToken = default)
    {
        // Kernels before 6.13 wait a fixed second; newer ones make it the setting tcp_tw_reuse_delay (ms).
        _fullRange = LabSettings.Read("net.ipv4.ip_local_port_range") ?? "32768 60999";
        var delayMs = int.TryParse(LabSettings.Read("net.ipv4.tcp_tw_reuse_delay"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) ? d : 1000;
        using var serverA = NativeSocket.ListenOnLoopback(64);
        using var serverB = NativeSocket.ListenOnLoopback(64);
        var a = (IPEndPoint)serverA.LocalEndPoint!;
        var b = (IPEndPoint)serverB.LocalEndPoint!;
        var plan = from bind in new[] { "explicit", "ephemeral" }
                   from when in new[] { "immediately", "after_delay" }
                   from destination in new[] { "same", "other" }
                   select (bind, when, destination);
        var results = new JsonArray();
        var pending = new List<(string Bind, string When, string Destination, int Port, Stopwatch Since)>();
        foreach (var (bind, when, destination) in plan)
        {
            var port = await MakeTimeWaitAsync(bind, serverA, cancellationToken).ConfigureAwait(false);
            var since = Stopwatch.StartNew();
            if (when == "immediately")
            {
                results.Add(Attempt(bind, when, destination, port, a, destination == "same" ? a : b, since));
            }
            else
            {
                pending.Add((bind, when, destination, port, since));
            }
        }
        // Wait on the clock until the youngest TIME_WAIT is older than the delay, with a margin for the kernel's millisecond clock.
        var last = pending[^1].Since;
        await Poll.UntilAsync(() => last.ElapsedMilliseconds > delayMs + 250, TimeSpan.FromMilliseconds(delayMs + 5000), "tcp_tw_reuse_delay to pass", cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var p in pending)
        {
            results.Add(Attempt(p.Bind, p.When, p.Destination, p.Port, a, p.Destination == "same" ? a : b, p.Since));
        }
        return new JsonObject { ["tw_reuse_delay_ms"] = delayMs, ["cases"] = results };
    }

    private static string _fullRange = "32768 60999";

    // A client connection from a port of its own to the server, closed by the client first, so that the client's end is in TIME_WAIT; returns that port.
    private static async Task<int> MakeTimeWaitAsync(string bind, Socket server, CancellationToken cancellationToken)
    {
        var serverEnd = (IPEndPoint)server.LocalEndPoint!;
        using var native = NativeSocket.Create();
        int port;
        // Port 0 needs the namespace's whole range back: an earlier ephemeral case left it at one port, now in TIME_WAIT.
        LabSettings.Write("net.ipv4.ip_local_port_range", _fullRange);
        if (bind == "explicit")
        {
            native.SetOptions(SocketOptionSet.ReuseAddress).ThrowIfFailed();
            native.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
            port = native.LocalEndPoint!.Port;
        }
        else
        {
            port = FreshPort();
            LabSettings.Write("net.ipv4.ip_local_port_range", $"{port} {port}");
        }
        native.Connect(serverEnd).ThrowIfFailed();
        if (native.LocalEndPoint!.Port != port)
        {
            throw new InvalidOperationException($"The client got port {native.LocalEndPoint.Port}, not the single port {port} of the range.");
        }
        using (var client = native.ToSocket())
        using (var accepted = await AcceptFromAsync(server, port, cancellationToken).ConfigureAwait(false))
        {
            client.Close(); // the client closes first
            _ = await accepted.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        await Poll.UntilAsync(() => OldState(port, serverEnd.Port) == "TIME_WAIT", TimeSpan.FromSeconds(5), $"port {port}'s connection to enter TIME_WAIT", cancellationToken: cancellationToken).ConfigureAwait(false);
        return port;
    }

    // Earlier attempts' connections (already reset) may wait in the backlog: skip them to reach this client's.
    private static async Task<Socket> AcceptFromAsync(Socket server, int clientPort, CancellationToken cancellationToken)
    {
        while (true)
        {
            var accepted = await server.AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (((IPEndPoint)accepted.RemoteEndPoint!).Port == clientPort)
            {
                return accepted;
            }
            accepted.Dispose();
        }
    }

    private static JsonObject Attempt(string bind, string when, string destination, int port, IPEndPoint oldServer, IPEndPoint target, Stopwatch since)
    {
        var oldState = OldState(port, oldServer.Port);
        using var socket = NativeSocket.Create();
        var seconds = since.Elapsed.TotalSeconds;
        StepResult result;
        if (bind == "explicit")
        {
            LabSettings.Write("net.ipv4.ip_local_port_range", _fullRange);
            socket.SetOptions(SocketOptionSet.ReuseAddress).ThrowIfFailed();
            result = socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            if (result.Ok)
            {
                result = socket.Connect(target);
            }
        }
        else
        {
            LabSettings.Write("net.ipv4.ip_local_port_range", $"{port} {port}");
            result = socket.Connect(target);
        }
        if (result.Ok)
        {
            // Close with a reset, so the new connection leaves no TIME_WAIT of its own behind for later attempts.
            socket.SetLinger(true, 0);
        }
        return new JsonObject
        {
            ["bind"] = bind,
            ["when"] = when,
            ["destination"] = destination,
            ["step"] = result.Step,
            ["outcome"] = result.Outcome,
            ["errno"] = result.Error?.Number,
            ["old_state"] = oldState,
            ["seconds"] = seconds,
        };
    }

    private static string OldState(int port, int serverPort) =>
        TcpTable.ReadPorts([port]).FirstOrDefault(e => e.Local.Port == port && e.Remote.Port == serverPort)?.StateName ?? "none";

    // A port nobody in the namespace holds: bound once to port 0 and closed without connecting, so nothing of it stays behind.
    private static int FreshPort()
    {
        using var probe = NativeSocket.Create();
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
        return probe.LocalEndPoint!.Port;
    }
}
