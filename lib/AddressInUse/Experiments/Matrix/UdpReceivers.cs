using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// D5 and D6: several UDP sockets on one port. Which of them bind, and which receive the datagrams — unicast to
/// 127.0.0.1 (D5), or multicast to a group joined on the loopback interface (D6)?
/// </summary>
public static class UdpReceivers
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(1);
    private static readonly Lazy<string?> MulticastProbe = new(ProbeMulticast);

    /// <summary>The administratively scoped group the experiments use (239.0.0.0/8 never leaves a site, and here never leaves loopback).</summary>
    public static IPAddress Group { get; } = IPAddress.Parse("239.255.41.41");

    /// <summary>Why multicast on the loopback interface does not work on this machine, or null when it does.</summary>
    public static string? MulticastUnavailable => MulticastProbe.Value;

    /// <summary>D5: binds <paramref name="sockets"/> UDP sockets to one port on 127.0.0.1 and sends unicast datagrams, each from a fresh sender.</summary>
    /// <param name="sockets">How many sockets try to bind the port (2 to 8).</param>
    /// <param name="options">The options every socket sets before bind.</param>
    /// <param name="api">The bind path.</param>
    /// <param name="datagrams">How many datagrams to send (1 to 256).</param>
    /// <param name="cancellationToken">Cancels the wait for delivery; every socket is still closed.</param>
    public static Task<ReceiverGroupOutcome> UnicastAsync(int sockets, SocketOptionSet options, BindApi api = BindApi.Native, int datagrams = 32, CancellationToken cancellationToken = default) =>
        RunAsync("D5", "unicast", sockets, options, api, datagrams, cancellationToken);

    /// <summary>D6: <paramref name="receivers"/> UDP sockets bind one port and join one multicast group on the loopback interface; one sender sends to the group.</summary>
    /// <param name="receivers">How many receivers (2 to 8).</param>
    /// <param name="options">The options every receiver sets before bind.</param>
    /// <param name="api">The bind path.</param>
    /// <param name="datagrams">How many datagrams to send to the group (1 to 256).</param>
    /// <param name="cancellationToken">Cancels the wait for delivery; every socket is still closed.</param>
    public static Task<ReceiverGroupOutcome> MulticastAsync(int receivers, SocketOptionSet options, BindApi api = BindApi.Native, int datagrams = 8, CancellationToken cancellationToken = default) =>
        RunAsync("D6", "multicast", receivers, options, api, datagrams, cancellationToken);

    /// <summary>Runs <see cref="MulticastAsync"/> (or <see cref="UnicastAsync"/>) once for every option set the path offers on this OS.</summary>
    /// <param name="multicast">True for D6 (multicast), false for D5 (unicast).</param>
    /// <param name="sockets">How many sockets per run.</param>
    /// <param name="api">The bind path.</param>
    /// <param name="datagrams">Datagrams per run.</param>
    /// <param name="cancellationToken">Cancels between runs.</param>
    public static async Task<ReceiverGroups> EveryOptionAsync(bool multicast, int sockets, BindApi api = BindApi.Native, int datagrams = 8, CancellationToken cancellationToken = default)
    {
        var outcomes = new List<ReceiverGroupOutcome>();
        foreach (var options in OptionChoices.For(api, OsInfo.Current))
        {
            outcomes.Add(multicast
                ? await MulticastAsync(sockets, options, api, datagrams, cancellationToken).ConfigureAwait(false)
                : await UnicastAsync(sockets, options, api, datagrams, cancellationToken).ConfigureAwait(false));
        }
        return new ReceiverGroups(outcomes);
    }

    /// <summary>Runs <see cref="EveryOptionAsync"/> on the native path and then on the .NET path, and returns all runs together.</summary>
    /// <param name="multicast">True for D6 (multicast), false for D5 (unicast).</param>
    /// <param name="sockets">How many sockets per run.</param>
    /// <param name="datagrams">Datagrams per run.</param>
    /// <param name="cancellationToken">Cancels between runs.</param>
    public static async Task<ReceiverGroups> BothPathsAsync(bool multicast, int sockets, int datagrams = 8, CancellationToken cancellationToken = default)
    {
        var native = await EveryOptionAsync(multicast, sockets, BindApi.Native, datagrams, cancellationToken).ConfigureAwait(false);
        var dotnet = await EveryOptionAsync(multicast, sockets, BindApi.Dotnet, datagrams, cancellationToken).ConfigureAwait(false);
        return new ReceiverGroups(native.Outcomes.Concat(dotnet.Outcomes).ToList());
    }

    private static async Task<ReceiverGroupOutcome> RunAsync(
        string scenario, string kind, int count, SocketOptionSet options, BindApi api, int datagrams, CancellationToken cancellationToken)
    {
        if (count is < 2 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Use 2 to 8 sockets: enough to see who receives, few enough to read.");
        }
        if (datagrams is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(datagrams), datagrams, "Send 1 to 256 datagrams.");
        }
        OsInfo.EnsureSupported();
        var multicast = kind == "multicast";
        if (multicast && MulticastUnavailable is { } reason)
        {
            return new ReceiverGroupOutcome(scenario, kind, api, options, Group.ToString(), 0, Array.Empty<ReceiverResult>(), 0, reason, Array.Empty<string>());
        }
        // Receivers bind the group address itself where the OS allows it (Unix), so nothing but the group's datagrams
        // reaches them; Windows refuses that, so there they bind the wildcard address for the few milliseconds of the run.
        var address = multicast ? (OsInfo.Current == OsFamily.Windows ? IPAddress.Any : Group) : IPAddress.Loopback;
        using var scope = new SocketScope();
        var port = PortSharing.ReservePort();
        var results = new List<(List<StepResult> Steps, IReadOnlyDictionary<string, int> Readback, Socket? Socket)>();
        for (var i = 0; i < count; i++)
        {
            var socket = scope.Add(CaseSocket.Create(api, ProtocolType.Udp, options));
            var steps = new List<StepResult>();
            if (!socket.OptionsResult.Ok)
            {
                steps.Add(socket.OptionsResult);
            }
            else
            {
                steps.Add(socket.Bind(new IPEndPoint(address, port)));
            }
            var readback = socket.Readback();
            Socket? receiver = null;
            if (steps.All(s => s.Ok))
            {
                receiver = socket.AsSocket();
                if (multicast)
                {
                    // Joining the group is not what is being measured; it goes through .NET on both paths.
                    steps.Add(StepResult.Of("join", () => receiver.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group, IPAddress.Loopback))));
                    if (!steps[^1].Ok)
                    {
                        receiver = null;
                    }
                }
            }
            results.Add((steps, readback, receiver));
        }

        var target = new IPEndPoint(multicast ? Group : IPAddress.Loopback, port);
        var notes = new List<string>();
        if (multicast)
        {
            using var sender = MulticastSender();
            for (var i = 0; i < datagrams; i++)
            {
                sender.SendTo(Encoding.ASCII.GetBytes($"probe {i}"), target);
            }
        }
        else
        {
            for (var i = 0; i < datagrams; i++)
            {
                // A fresh sender per datagram: SO_REUSEPORT spreads by the sender's address and port, so one sender would hide the spread.
                using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sender.SendTo(Encoding.ASCII.GetBytes($"probe {i}"), target);
            }
        }

        var received = new int[count];
        var buffer = new byte[64];
        bool Drain()
        {
            for (var k = 0; k < count; k++)
            {
                if (results[k].Socket is not { } s)
                {
                    continue;
                }
                while (s.Poll(0, SelectMode.SelectRead))
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    var length = s.ReceiveFrom(buffer, ref from);
                    // A wildcard receiver could hear the network: only this machine's probes count.
                    if (!IPAddress.IsLoopback(((IPEndPoint)from).Address) || !Encoding.ASCII.GetString(buffer, 0, length).StartsWith("probe ", StringComparison.Ordinal))
                    {
                        notes.Add($"a datagram from {from} was ignored: it was not one of the probes");
                        continue;
                    }
                    received[k]++;
                }
            }
            var listening = results.Count(r => r.Socket is not null);
            // Unicast: each datagram goes to one socket. Multicast: every member gets every datagram.
            return multicast ? received.Where((_, k) => results[k].Socket is not null).All(n => n >= datagrams) : received.Sum() >= datagrams || listening == 0;
        }
        if (!await Poll.TryUntilAsync(Drain, DeliveryTimeout, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            notes.Add($"not every expected datagram arrived within {DeliveryTimeout.TotalSeconds:0} s; the counts show what did");
        }
        var receivers = results.Select((r, k) => new ReceiverResult(k + 1, r.Steps, r.Readback, received[k])).ToList();
        return new ReceiverGroupOutcome(scenario, kind, api, options, address.ToString(), port, receivers, datagrams, null, notes);
    }

    private static Socket MulticastSender()
    {
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // Out through the loopback interface, and looped back to this machine's members; never onto a real network.
        sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.Loopback.GetAddressBytes());
        sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 0);
        sender.MulticastLoopback = true;
        return sender;
    }

    /// <summary>Tries one member and one datagram on the loopback interface, and says why that failed, or null when it worked.</summary>
    private static string? ProbeMulticast()
    {
        const string advice = " The multicast cases are skipped; the rest of the chapter does not need multicast.";
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            receiver.Bind(new IPEndPoint(OsInfo.Current == OsFamily.Windows ? IPAddress.Any : Group, 0));
            receiver.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group, IPAddress.Loopback));
            using var sender = MulticastSender();
            sender.SendTo("probe"u8.ToArray(), new IPEndPoint(Group, ((IPEndPoint)receiver.LocalEndPoint!).Port));
        }
        catch (SocketException e)
        {
            return $"This OS offers no multicast on the loopback interface: joining {Group} on 127.0.0.1 or sending to it failed with {Errno.FromCurrentOs(e.NativeErrorCode)}." + advice;
        }
        var deadline = DateTime.UtcNow + DeliveryTimeout;
        // A synchronous wait with a deadline: the probe runs once per process, before any experiment.
        return receiver.Poll((int)DeliveryTimeout.TotalMilliseconds * 1000, SelectMode.SelectRead)
            ? null
            : $"This OS offers no multicast on the loopback interface: a datagram sent to {Group} through 127.0.0.1 did not arrive within {DeliveryTimeout.TotalSeconds:0} s." + advice;
    }
}

/// <summary>One socket of a receiver group: its steps, its options as read back, and how many datagrams it received.</summary>
/// <param name="Index">1 for the socket bound first.</param>
/// <param name="Steps">Its steps (setsockopt if it failed, bind, and join for multicast).</param>
/// <param name="Readback">Its options read back after bind.</param>
/// <param name="Received">How many of the probe datagrams it received.</param>
public sealed record ReceiverResult(int Index, IReadOnlyList<StepResult> Steps, IReadOnlyDictionary<string, int> Readback, int Received)
{
    /// <summary>Whether every step succeeded.</summary>
    public bool Ok => Steps.All(s => s.Ok);

    /// <summary>The first failed step, or the last one.</summary>
    public StepResult Decisive => Steps.FirstOrDefault(s => !s.Ok) ?? Steps[^1];
}

/// <summary>One run of a receiver group: who bound, who received, or why it was skipped.</summary>
/// <param name="Scenario">"D5" (unicast) or "D6" (multicast).</param>
/// <param name="Kind">"unicast" or "multicast".</param>
/// <param name="Api">The bind path.</param>
/// <param name="Options">The options every socket set.</param>
/// <param name="Address">The address the sockets bound.</param>
/// <param name="Port">The port, chosen by the OS.</param>
/// <param name="Receivers">Every socket, in bind order.</param>
/// <param name="Sent">How many datagrams were sent.</param>
/// <param name="Skipped">Why the run could not happen on this machine, or null.</param>
/// <param name="Notes">Anything that went differently from plan.</param>
public sealed record ReceiverGroupOutcome(
    string Scenario,
    string Kind,
    BindApi Api,
    SocketOptionSet Options,
    string Address,
    int Port,
    IReadOnlyList<ReceiverResult> Receivers,
    int Sent,
    string? Skipped,
    IReadOnlyList<string> Notes) : MeasuredResult
{
    /// <summary>"native, SO_REUSEADDR".</summary>
    public string Label => $"{(Api == BindApi.Native ? "native" : ".NET")}, {OptionChoices.ToLabel(Options, Api)}";

    /// <summary>One record per socket after the first: the first socket holds the port, this one tried to join it.</summary>
    public override IEnumerable<CaseRecord> Cases => Receivers.Skip(1).Select(r => new CaseRecord(
        Scenario,
        $"{Kind}.{(Api == BindApi.Native ? "native" : "dotnet")}.{Receivers.Count}-sockets.{OptionChoices.ToSlug(Options)}.socket-{r.Index}",
        Api == BindApi.Native ? "native" : "dotnet",
        "udp",
        "udp",
        new SocketSide(Address, "udp", Options.ToNames()),
        new SocketSide(Address, "udp", Options.ToNames()),
        r.Decisive.Step,
        r.Decisive.Outcome,
        r.Decisive.Error?.Number)
    {
        Readback = r.Readback,
        Details = new JsonObject
        {
            ["port"] = Port,
            ["sockets"] = Receivers.Count,
            ["sent"] = Sent,
            ["received_by_first"] = Receivers[0].Received,
            ["received_by_this"] = r.Received,
            ["received_by_each"] = new JsonArray(Receivers.Select(x => (JsonNode?)JsonValue.Create(x.Received)).ToArray()),
        },
    });

    /// <summary>A table: one row per socket with its steps, read-back and datagrams received.</summary>
    public override string ToHtml() => new ReceiverGroups(new[] { this }).ToHtml();

    /// <summary>"native, SO_REUSEADDR: bound 3 of 3; received 0, 0, 32 of 32".</summary>
    public override string ToString() => Skipped is not null
        ? $"{Kind} skipped: {Skipped}"
        : $"{Kind} {Label}: bound {Receivers.Count(r => r.Ok)} of {Receivers.Count}; received {string.Join(", ", Receivers.Select(r => r.Received))} of {Sent}";
}

/// <summary>Several receiver-group runs side by side (for instance one per option set), as a table and a chart.</summary>
/// <param name="Outcomes">The runs.</param>
public sealed record ReceiverGroups(IReadOnlyList<ReceiverGroupOutcome> Outcomes) : MeasuredResult
{
    /// <summary>Every run's records.</summary>
    public override IEnumerable<CaseRecord> Cases => Outcomes.SelectMany(o => o.Cases);

    /// <summary>Grouped bars: one group per run, one bar per socket, its height the datagrams it received; a socket that could not bind has no bar.</summary>
    public Figure Chart(string name, string? title = null)
    {
        var measured = Outcomes.Where(o => o.Skipped is null).ToList();
        if (measured.Count == 0)
        {
            throw new InvalidOperationException($"Nothing to chart: every run was skipped ({Outcomes.FirstOrDefault()?.Skipped}).");
        }
        var figure = new Figure(name, title ?? $"Who received the datagrams ({OsInfo.CurrentName})");
        var palette = new[] { "#1e88e5", "#fb8c00", "#43a047", "#8e24aa", "#e53935", "#00897b", "#6d4c41", "#546e7a" };
        var most = measured.Max(o => o.Receivers.Count);
        // One bind path throughout: the options alone name each run.
        var oneApi = measured.Select(o => o.Api).Distinct().Count() == 1;
        for (var k = 0; k < most; k++)
        {
            var labels = measured.Select(o => oneApi ? OptionChoices.ToLabel(o.Options, o.Api) : o.Label).ToList();
            var values = measured.Select(o => k < o.Receivers.Count && o.Receivers[k].Ok ? o.Receivers[k].Received : k < o.Receivers.Count ? 0 : double.NaN).ToList();
            var trace = Traces.Bars($"socket {k + 1}", labels, values, palette[k % palette.Length]);
            trace["hovertext"] = Traces.Strings(measured.Select(o => k >= o.Receivers.Count ? "" :
                o.Receivers[k].Ok ? $"socket {k + 1}: received {o.Receivers[k].Received} of {o.Sent}" : $"socket {k + 1}: {o.Receivers[k].Decisive}"));
            trace["hoverinfo"] = "text";
            // Sockets that never bound are named on the bar's place, so a missing bar is never mistaken for zero.
            trace["text"] = Traces.Strings(measured.Select(o => k < o.Receivers.Count && !o.Receivers[k].Ok ? o.Receivers[k].Decisive.Outcome : ""));
            trace["textposition"] = "outside";
            trace["textangle"] = -90;
            trace["textfont"] = new JsonObject { ["size"] = 11, ["color"] = "#c62828" };
            trace["cliponaxis"] = false;
            figure.Data.Add(trace);
        }
        figure.Layout["barmode"] = "group";
        figure.Layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = $"datagrams received (of {measured[0].Sent} sent)" }, ["rangemode"] = "tozero" };
        figure.Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "options on every socket" }, ["type"] = "category", ["automargin"] = true };
        figure.Layout["height"] = 460;
        return figure;
    }

    /// <summary>One row per socket of every run.</summary>
    public override string ToHtml()
    {
        var skipped = Outcomes.Where(o => o.Skipped is not null).Select(o => o.Skipped!).Distinct().ToList();
        var rows = Outcomes.Where(o => o.Skipped is null).SelectMany(o => o.Receivers.Select(r => new[]
        {
            Html.E(o.Label),
            $"{Html.E(o.Kind)} to <code>{Html.E(o.Kind == "multicast" ? UdpReceivers.Group.ToString() : "127.0.0.1")}:{o.Port}</code>",
            $"socket {r.Index} <small>at {Html.E(o.Address)}</small>",
            string.Join(" ", r.Steps.Select(s => $"{Html.E(s.Step)} {Html.Badge(s.Outcome, s.Error is null ? "ok" : $"{s.Error.Name} ({s.Error.Number}): {s.Error.Description}")}")),
            Html.Readback(r.Readback),
            r.Ok ? $"<b>{r.Received}</b> of {o.Sent}" : "—",
        }));
        var table = Html.Table(new[] { "run", "datagrams", "socket", "steps", "read back", "received" }, rows);
        var skip = skipped.Count == 0 ? "" : $"<p><b>Skipped:</b> {Html.E(string.Join(" ", skipped))}</p>";
        var notes = Outcomes.SelectMany(o => o.Notes).Distinct().ToList();
        return $"<div class=\"course-outcome\">{skip}{table}{(notes.Count == 0 ? "" : $"<p><i>Notes: {Html.E(string.Join("; ", notes))}</i></p>")}</div>";
    }

    /// <summary>One run a line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Outcomes.Select(o => o.ToString()));
}
