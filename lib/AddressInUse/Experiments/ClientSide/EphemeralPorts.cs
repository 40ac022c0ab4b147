using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.ClientSide;

/// <summary>Scenario E2's result: how many ephemeral ports short client-closes-first connections left in TIME_WAIT, against the size of the range.</summary>
/// <param name="Connections">Connections opened and closed (client first).</param>
/// <param name="TimeWaitHeld">Client-side TIME_WAIT entries to the server seen after the last close.</param>
/// <param name="RangeFirst">The first ephemeral port, or null when the OS setting could not be read.</param>
/// <param name="RangeLast">The last ephemeral port, or null when unknown.</param>
/// <param name="RangeSource">Where the range came from (the setting's name, or a stated default).</param>
public sealed record EphemeralPortsOutcome(int Connections, int TimeWaitHeld, int? RangeFirst, int? RangeLast, string RangeSource) : MeasuredResult
{
    /// <summary>How many ports the range holds, or null when unknown.</summary>
    public int? RangeSize => RangeFirst is { } f && RangeLast is { } l ? l - f + 1 : null;

    /// <summary>The share of the range held in TIME_WAIT (0–1), or null when the range is unknown.</summary>
    public double? FractionHeld => RangeSize is { } size && size > 0 ? (double)TimeWaitHeld / size : null;

    /// <inheritdoc />
    public override IEnumerable<CaseRecord> Cases =>
    [
        new CaseRecord("E2", "ephemeral-time-wait", "native", "tcp", "time_wait", new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []), "connect", "ok", null)
        {
            Details = new JsonObject
            {
                ["connections"] = Connections,
                ["time_wait_held"] = TimeWaitHeld,
                ["range_size"] = RangeSize,
                ["range_source"] = RangeSource,
                ["fraction_held"] = FractionHeld is { } f ? Math.Round(f, 4) : null,
            },
        },
    ];

    /// <summary>
    /// The ephemeral range as one bar on a linear axis, the share held in TIME_WAIT coloured at its true size (a thin sliver
    /// is the honest picture of a small share; a logarithmic axis made 0.7 % look like half); null when the range is unknown.
    /// </summary>
    public Figure? Chart
    {
        get
        {
            if (RangeSize is not { } size || TimeWaitHeld < 1)
            {
                return null;
            }
            var share = (double)TimeWaitHeld / size;
            var figure = new Figure("e2-ephemeral-ports",
                $"E2 after {Connections.ToString(CultureInfo.InvariantCulture)} connections: {TimeWaitHeld.ToString("#,0", CultureInfo.InvariantCulture)} of " +
                $"{size.ToString("#,0", CultureInfo.InvariantCulture)} ephemeral ports in TIME_WAIT ({share.ToString("0.0#%", CultureInfo.InvariantCulture)}, {OsInfo.CurrentName})");
            var row = $"ephemeral range<br>{RangeFirst}–{RangeLast}";
            figure.Data.Add(Segment("held in TIME_WAIT", row, 0, TimeWaitHeld, TimelineChart.StateColors["TIME_WAIT"]));
            figure.Data.Add(Segment("free for new connections", row, TimeWaitHeld, size, "#e0e0e0"));
            figure.Layout["barmode"] = "overlay";
            figure.Layout["height"] = 280;
            figure.Layout["width"] = MatrixChart.MaxWidth;
            figure.Layout["margin"] = new JsonObject { ["l"] = 130, ["r"] = 30, ["b"] = 60 };
            figure.Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "ports (linear)" }, ["range"] = new JsonArray(0, size), ["tickformat"] = ",d" };
            figure.Layout["yaxis"] = new JsonObject { ["type"] = "category", ["automargin"] = true };
            // plotly's default legend, right of the plot: clear of the axis title below and the note above.
            figure.Layout["annotations"] = new JsonArray(new JsonObject
            {
                ["x"] = TimeWaitHeld, ["y"] = row, ["xanchor"] = "left", ["ax"] = 40, ["ay"] = -40, ["arrowhead"] = 2,
                ["text"] = $"{TimeWaitHeld.ToString("#,0", CultureInfo.InvariantCulture)} ports ({share.ToString("0.0#%", CultureInfo.InvariantCulture)})",
            });
            return figure;
        }
    }

    private static JsonObject Segment(string name, string row, double from, double to, string color)
    {
        var trace = Traces.Segments(name, [row], [from], [to], color);
        trace["hovertemplate"] = $"{name}: %{{x:,d}} ports<extra></extra>";
        return trace;
    }

    /// <summary>A table of the count against the range.</summary>
    public override string ToHtml() => Html.Table(
        ["connections (client closed first)", "client ports in TIME_WAIT", "ephemeral range", "share of the range held"],
        [[
            Connections.ToString(CultureInfo.InvariantCulture),
            TimeWaitHeld.ToString(CultureInfo.InvariantCulture),
            Html.E(RangeSize is { } s ? $"{RangeFirst}–{RangeLast} ({s} ports, {RangeSource})" : $"unknown ({RangeSource})"),
            FractionHeld is { } f ? Html.E(f.ToString("P2", CultureInfo.InvariantCulture)) : "—",
        ]]);

    /// <summary>One line.</summary>
    public override string ToString() => $"{TimeWaitHeld} of {RangeSize?.ToString(CultureInfo.InvariantCulture) ?? "?"} ephemeral ports held in TIME_WAIT after {Connections} connections";
}

/// <summary>Scenario E2: do short connections that the client closes first use up the client's ephemeral ports for the TIME_WAIT period?</summary>
public static class EphemeralPorts
{
    /// <summary>The most connections one run makes, far below any OS's ephemeral range.</summary>
    public const int MaxConnections = 1000;

    /// <summary>Opens and closes the given number of loopback connections (client closes first) and counts the client ports left in TIME_WAIT.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The count is below 1 or above <see cref="MaxConnections"/>.</exception>
    public static async Task<EphemeralPortsOutcome> RunAsync(int connections, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(connections, MaxConnections);
        var (first, last, source) = ReadRange();
        using var listener = NativeSocket.ListenOnLoopback(128);
        var server = (IPEndPoint)listener.LocalEndPoint!;
        var buffer = new byte[1];
        for (var i = 0; i < connections; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var native = NativeSocket.Create();
            var connect = native.Connect(server);
            if (!connect.Ok)
            {
                throw new NativeSocketException(connect);
            }

            using var client = native.ToSocket();
            using var accepted = await listener.AcceptAsync(cancellationToken);
            client.Dispose(); // the client closes first, so TIME_WAIT lands on its ephemeral port
            _ = await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }

        int Held() => TcpTable.ReadPorts([server.Port]).Count(e => e.Remote.Port == server.Port && e.StateName == "TIME_WAIT");
        await Poll.TryUntilAsync(() => Held() >= connections, TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
        return new EphemeralPortsOutcome(connections, Held(), first, last, source);
    }

    /// <summary>The OS's ephemeral port range as configured (read, never changed), with where it came from.</summary>
    public static (int? First, int? Last, string Source) ReadRange() =>
        ParseRange(EnvironmentReport.ReadSettings(OsInfo.Current).ToDictionary(s => s.Name, s => s.Value), OsInfo.Current);

    /// <summary>The ephemeral range from settings as <see cref="EnvironmentReport.ReadSettings"/> names them, for the given OS.</summary>
    public static (int? First, int? Last, string Source) ParseRange(IReadOnlyDictionary<string, string?> settings, OsFamily family)
    {
        if (settings.TryGetValue("net.ipv4.ip_local_port_range", out var linux) && linux is not null)
        {
            var parts = linux.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], out var f) && int.TryParse(parts[1], out var l))
            {
                return (f, l, "net.ipv4.ip_local_port_range");
            }
        }

        if (settings.TryGetValue("net.inet.ip.portrange.first", out var mf) && int.TryParse(mf, out var macFirst)
            && settings.TryGetValue("net.inet.ip.portrange.last", out var ml) && int.TryParse(ml, out var macLast))
        {
            return (macFirst, macLast, "net.inet.ip.portrange.first/last");
        }

        if (family == OsFamily.Windows)
        {
            // Windows keeps the range in netsh, which the course does not parse; this is its documented default.
            return (49152, 65535, "Windows default dynamic port range (not read from this machine)");
        }

        return (null, null, "not readable on this OS");
    }

}
