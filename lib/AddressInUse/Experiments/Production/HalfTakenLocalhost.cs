using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Experiments.CSharpServers;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Production;

/// <summary>
/// Scenario P3 "half taken": another program holds [::1]:P; a server that binds localhost binds 127.0.0.1:P and [::1]:P in
/// turn, Kestrel starts with ListenLocalhost(P), and a client connects to localhost:P.
/// </summary>
/// <param name="Unavailable">Why it was not measured (no IPv6 loopback), or null.</param>
/// <param name="Port">P.</param>
/// <param name="V4">The server's bind and listen on 127.0.0.1:P.</param>
/// <param name="V6">The server's bind on [::1]:P.</param>
/// <param name="KestrelStarted">Whether Kestrel with ListenLocalhost(P) started, or null where Kestrel could not run.</param>
/// <param name="KestrelChain">Kestrel's exception chain ("Type: message"), outermost first.</param>
/// <param name="KestrelSocketError">The SocketError inside Kestrel's failure, or null.</param>
/// <param name="ResolverOrder">The addresses "localhost" resolves to, in the resolver's order.</param>
/// <param name="ClientReached">"the other program ([::1])" or "this server (127.0.0.1)": who accepted the client's connection to localhost:P.</param>
public sealed record HalfTakenLocalhostOutcome(string? Unavailable, int Port, StepResult? V4, StepResult? V6, bool? KestrelStarted, IReadOnlyList<string> KestrelChain, string? KestrelSocketError,
    IReadOnlyList<string> ResolverOrder, string? ClientReached) : MeasuredResult
{
    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases
    {
        get
        {
            if (Unavailable is not null)
            {
                yield break;
            }
            SocketSide Side(string address) => new(address, "tcp", []);
            yield return new CaseRecord("P3", "half-taken-server-v4", "dotnet", "tcp", "none", Side("[::1]"), Side("127.0.0.1"), V4!.Step, V4.Outcome, V4.Error?.Number);
            yield return new CaseRecord("P3", "half-taken-server-v6", "dotnet", "tcp", "listen", Side("[::1]"), Side("[::1]"), V6!.Step, V6.Outcome, V6.Error?.Number);
            if (KestrelStarted is { } started)
            {
                yield return new CaseRecord("P3", "half-taken-kestrel", "aspnetcore", "tcp", "listen", Side("[::1]"), Side("localhost"), "bind", started ? "ok" : "EADDRINUSE", null)
                {
                    Details = new JsonObject { ["message"] = KestrelChain.FirstOrDefault(), ["socket_error"] = KestrelSocketError },
                };
            }
            yield return new CaseRecord("P3", "half-taken-client", "dotnet", "tcp", "listen", Side("[::1]"), Side("localhost"), "connect", ClientReached is null ? "failed" : "ok", null)
            {
                Details = new JsonObject { ["reached"] = ClientReached, ["first_resolved"] = ResolverOrder.FirstOrDefault(), ["resolved"] = string.Join(" ", ResolverOrder) },
            };
        }
    }

    /// <summary>The steps in a table.</summary>
    public override string ToHtml() => Unavailable is not null
        ? $"<p><b>Not measured here:</b> {Html.E(Unavailable)}.</p>"
        : Html.Table(["who", "what it tried", "outcome"],
        [
            ["another program", Html.E($"listens on [::1]:{Port}"), Html.Badge("ok")],
            ["the server (.NET)", Html.E($"Bind + Listen 127.0.0.1:{Port}"), Html.Badge(V4!.Outcome) + $" <small>{Html.E(V4.Step)}</small>"],
            ["the server (.NET)", Html.E($"Bind [::1]:{Port}"), Html.Badge(V6!.Outcome) + $" <small>{Html.E(V6.Step)}</small>"],
            ["ASP.NET Core (Kestrel)", Html.E($"ListenLocalhost({Port})"), KestrelStarted is null ? "not measured (no ASP.NET Core runtime or probe)" : KestrelStarted.Value ? Html.Badge("ok") : Html.Badge("EADDRINUSE") + $" <small>{Html.E(string.Join(" → ", KestrelChain))}</small>"],
            ["a client", Html.E($"connects to localhost:{Port} (resolves to {string.Join(", ", ResolverOrder)})"), Html.E(ClientReached ?? "failed")],
        ]);

    /// <summary>One line per step.</summary>
    public override string ToString() => Unavailable ?? $"127.0.0.1:{Port} {V4}; [::1]:{Port} {V6}; Kestrel localhost started={KestrelStarted}; client reached {ClientReached}";
}

/// <summary>Scenario P3 "half taken": what a localhost server meets when one family's loopback port is already held.</summary>
public static class HalfTakenLocalhost
{
    /// <summary>
    /// Binds and listens on [::1]:P (the other program's family), then binds 127.0.0.1:P; an EADDRINUSE on 127.0.0.1 belongs
    /// to a third program (an environment conflict, never the lesson), so it takes a fresh port, up to five times.
    /// </summary>
    private static (Socket? Other, Socket? V4, int Port, StepResult V4Result, string? NoIpv6) BindOneFamilyEach()
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var other = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                other.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            }
            catch (SocketException e)
            {
                other.Dispose();
                return (null, null, 0, null!, $"this machine has no IPv6 loopback address ::1 (bind gave {Errno.FromCurrentOs(e.NativeErrorCode)})");
            }
            other.Listen(16);
            var port = ((IPEndPoint)other.LocalEndPoint!).Port;
            var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var v4Result = StepResult.Of("bind", () => v4.Bind(new IPEndPoint(IPAddress.Loopback, port)));
            if (v4Result.Ok)
            {
                v4Result = StepResult.Of("listen", () => v4.Listen(16));
            }
            if (v4Result.Error?.Name != "EADDRINUSE")
            {
                return (other, v4, port, v4Result, null);
            }
            v4.Dispose();
            other.Dispose();
        }
        throw new InvalidOperationException("Other programs held 127.0.0.1 on five fresh ports in a row; run the cell again.");
    }

    /// <summary>Runs it on loopback (127.0.0.1 and ::1 only); every socket and the Kestrel child end before it returns.</summary>
    public static async Task<HalfTakenLocalhostOutcome> RunAsync(CancellationToken cancellationToken = default)
    {
        var (taken, v4Socket, port, v4Result, noIpv6) = BindOneFamilyEach();
        if (noIpv6 is not null)
        {
            return new HalfTakenLocalhostOutcome(noIpv6, 0, null, null, null, [], null, [], null);
        }
        using var other = taken!;
        using var v4 = v4Socket!;
        using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        var v6Result = StepResult.Of("bind", () => v6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, port)));

        // A client asks for localhost, as a browser or a test does; whichever address the resolver lists first answers.
        var resolved = (await Dns.GetHostAddressesAsync("localhost", cancellationToken).ConfigureAwait(false)).Select(a => a.ToString()).ToList();
        string? reached;
        using (var client = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await client.ConnectAsync(new DnsEndPoint("localhost", port), cancellationToken).ConfigureAwait(false);
                var remote = (IPEndPoint)client.RemoteEndPoint!;
                reached = remote.Address.IsIPv4MappedToIPv6 || remote.Address.AddressFamily == AddressFamily.InterNetwork ? "this server (127.0.0.1)" : "the other program ([::1])";
            }
            catch (SocketException)
            {
                reached = null;
            }
        }
        // Accept and reset what the client opened, so nothing waits in either queue.
        foreach (var listener in new[] { other, v4 })
        {
            while (listener.IsBound && listener.Poll(0, SelectMode.SelectRead))
            {
                using var accepted = listener.Accept();
                accepted.LingerState = new LingerOption(true, 0);
            }
        }

        bool? kestrelStarted = null;
        IReadOnlyList<string> chain = [];
        string? socketError = null;
        v4.Dispose();
        if (CSharpServerErrors.WhyNoKestrel() is null)
        {
            var report = await CSharpServerErrors.RunKestrelProbeAsync(port, localhost: true, cancellationToken).ConfigureAwait(false);
            kestrelStarted = report["started"]?.GetValue<bool>() == true;
            var links = report["exceptions"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
            chain = links.Select(e => $"{e["type"]?.GetValue<string>().Split('.').Last()}: {e["message"]}").ToList();
            socketError = links.LastOrDefault(e => e["socket_error"] is not null)?["socket_error"]?.GetValue<string>();
        }
        return new HalfTakenLocalhostOutcome(null, port, v4Result, v6Result, kestrelStarted, chain, socketError, resolved, reached);
    }
}
