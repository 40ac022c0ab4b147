using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.ClientSide;

/// <summary>One reconnect attempt from the client's old local port.</summary>
/// <param name="Case">The case name, e.g. "same-server-reuseaddr".</param>
/// <param name="Target">"same server" (the old 4-tuple) or "other server".</param>
/// <param name="Options">Options set before bind.</param>
/// <param name="Step">The step that decided: "bind" or "connect" (or "connect" when everything succeeded).</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The errno number, or null.</param>
/// <param name="OldStateAtAttempt">The old connection's client end in the TCP table just before the attempt.</param>
/// <param name="SecondsAfterClose">How long after the client's close the attempt was made.</param>
public sealed record ReconnectAttempt(string Case, string Target, SocketOptionSet Options, string Step, string Outcome, int? Errno, string OldStateAtAttempt, double SecondsAfterClose);

/// <summary>Scenario E1 (and E3's delayed retry): a client that binds a fixed local port with SO_REUSEADDR, closes first, and binds that port again.</summary>
/// <param name="LocalPort">The client's fixed local port (chosen by the OS the first time, then reused).</param>
/// <param name="Attempts">The reconnect attempts in order.</param>
/// <param name="Settings">The settings in force (tcp_tw_reuse, tcp_timestamps on Linux).</param>
public sealed record BindBeforeConnectOutcome(int LocalPort, IReadOnlyList<ReconnectAttempt> Attempts, IReadOnlyDictionary<string, string?> Settings) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases => Attempts.Select(a =>
    {
        var details = new JsonObject
        {
            ["target"] = a.Target,
            ["old_state_at_attempt"] = a.OldStateAtAttempt,
            ["seconds_after_close"] = Math.Round(a.SecondsAfterClose, 2),
        };
        foreach (var (name, value) in Settings)
        {
            details[name] = value;
        }

        var side = new SocketSide("127.0.0.1", "tcp", a.Options.ToNames());
        return new CaseRecord(a.Case.StartsWith("retry", StringComparison.Ordinal) ? "E3" : "E1", a.Case, "native", "tcp", "time_wait",
            new SocketSide("127.0.0.1", "tcp", [SocketOptionNames.ReuseAddress]), side, a.Step, a.Outcome, a.Errno) { Details = details };
    });

    /// <summary>One row per attempt.</summary>
    public override string ToHtml() =>
        $"<p>client's fixed local port: <code>{LocalPort}</code>; settings: {Html.E(string.Join(", ", Settings.Select(s => $"{s.Key}={s.Value ?? "n/a"}")))}</p>"
        + Html.Table(
            ["attempt", "to", "options", "old end was", "after", "outcome"],
            Attempts.Select(a => new[]
            {
                Html.E(a.Case), Html.E(a.Target), Html.E(a.Options.ToLabel()), $"<code>{Html.E(a.OldStateAtAttempt)}</code>",
                Html.E($"{a.SecondsAfterClose:0.0} s"), Html.Badge(a.Outcome, a.Step) + $" <small>at {Html.E(a.Step)}</small>",
            }));

    /// <summary>One line per attempt.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Attempts.Select(a => $"{a.Case}: {a.Step} {a.Outcome}"));
}

/// <summary>Scenario E1: what happens when a client that used a fixed local port and closed first binds that port again, to the same server and to another one.</summary>
public static class BindBeforeConnect
{
    /// <summary>Runs the attempts; with a retry delay, the same-server attempt is repeated that long after the close (E3: Linux's tcp_tw_reuse needs about 1 s).</summary>
    public static async Task<BindBeforeConnectOutcome> RunAsync(TimeSpan? retryAfter = null, CancellationToken cancellationToken = default)
    {
        using var serverA = NativeSocket.ListenOnLoopback();
        using var serverB = NativeSocket.ListenOnLoopback();
        var a = (IPEndPoint)serverA.LocalEndPoint!;
        var b = (IPEndPoint)serverB.LocalEndPoint!;

        // First connection: the OS picks the client's port once; every later attempt reuses that number.
        // It sets SO_REUSEADDR as fixed-port clients do: Linux lets a later bind share a TIME_WAIT port only when both sockets set it.
        int port;
        using (var first = NativeSocket.Create())
        {
            first.SetOptions(SocketOptionSet.ReuseAddress).ThrowIfFailed();
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
            port = first.LocalEndPoint!.Port;
            first.Connect(a).ThrowIfFailed();
            using var client = first.ToSocket();
            using var accepted = await serverA.AcceptAsync(cancellationToken);
            client.Dispose(); // the client closes first
            var buffer = new byte[16];
            _ = await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken); // the server reads EOF, then closes
        }

        var closed = Stopwatch.StartNew();
        string OldState() => TcpTable.ReadPorts([port]).FirstOrDefault(e => e.Local.Port == port && e.Remote.Port == a.Port)?.StateName ?? "none";
        await Poll.TryUntilAsync(() => OldState() == "TIME_WAIT", TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);

        var attempts = new List<ReconnectAttempt>
        {
            Attempt("same-server-no-options", "same server", SocketOptionSet.None, port, a, OldState(), closed),
            Attempt("same-server-reuseaddr", "same server", SocketOptionSet.ReuseAddress, port, a, OldState(), closed),
            Attempt("other-server-reuseaddr", "other server", SocketOptionSet.ReuseAddress, port, b, OldState(), closed),
        };
        if (retryAfter is { } delay)
        {
            // Waiting for a clock condition by polling, not by a guessed sleep.
            await Poll.TryUntilAsync(() => closed.Elapsed >= delay, delay + TimeSpan.FromSeconds(1), cancellationToken: cancellationToken);
            attempts.Add(Attempt("retry-same-server-reuseaddr", "same server", SocketOptionSet.ReuseAddress, port, a, OldState(), closed));
        }

        return new BindBeforeConnectOutcome(port, attempts, ReadSettings());
    }

    /// <summary>The settings that decide E1 and E3 on this OS (empty where the OS has no such setting).</summary>
    public static IReadOnlyDictionary<string, string?> ReadSettings()
    {
        var settings = EnvironmentReport.ReadSettings(OsInfo.Current)
            .Where(s => s.Name.EndsWith("tcp_tw_reuse", StringComparison.Ordinal) || s.Name.EndsWith("tcp_timestamps", StringComparison.Ordinal))
            .ToDictionary(s => s.Name, s => s.Value);
        // Newer Linux kernels (6.13+) make the 1 s wait before reuse a setting of its own; older ones have no such file.
        const string delay = "/proc/sys/net/ipv4/tcp_tw_reuse_delay";
        if (OperatingSystem.IsLinux() && File.Exists(delay))
        {
            try
            {
                settings["net.ipv4.tcp_tw_reuse_delay"] = File.ReadAllText(delay).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                settings["net.ipv4.tcp_tw_reuse_delay"] = null;
            }
        }

        return settings;
    }

    private static ReconnectAttempt Attempt(string name, string target, SocketOptionSet options, int port, IPEndPoint server, string oldState, Stopwatch closed)
    {
        using var socket = NativeSocket.Create();
        var seconds = closed.Elapsed.TotalSeconds;
        if (options != SocketOptionSet.None)
        {
            socket.SetOptions(options).ThrowIfFailed();
        }

        var bind = socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        if (!bind.Ok)
        {
            return new ReconnectAttempt(name, target, options, "bind", bind.Outcome, bind.Error?.Number, oldState, seconds);
        }

        var connect = socket.Connect(server);
        // A successful connect creates a new connection that closes with this socket; the listener's backlog is dropped with it.
        return new ReconnectAttempt(name, target, options, "connect", connect.Outcome, connect.Error?.Number, oldState, seconds);
    }

}
