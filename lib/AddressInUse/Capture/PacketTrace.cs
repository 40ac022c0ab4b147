using System.Globalization;
using System.Text.Json.Nodes;

namespace AddressInUse.Capture;

/// <summary>One segment of a traced connection, seen from its two ends.</summary>
/// <param name="AtUs">µs since the trace's origin (the first action).</param>
/// <param name="From">The end that sent it ("client" or "server").</param>
/// <param name="Flags">Its flags ("SYN,ACK", "FIN,ACK"…).</param>
/// <param name="Seq">Sequence number relative to the sender's first SYN of this connection (absolute when no SYN was captured).</param>
/// <param name="Ack">Acknowledgment number relative to the receiver's first SYN (0 without ACK).</param>
/// <param name="Window">The window field as sent (not scaled).</param>
/// <param name="Length">Payload bytes.</param>
/// <param name="TsVal">The timestamp option's TSval, or null.</param>
/// <param name="TsEcr">The timestamp option's TSecr, or null.</param>
/// <param name="AbsoluteSeq">The sequence number as sent (what an injected segment must match).</param>
public sealed record TracedSegment(double AtUs, string From, string Flags, long Seq, long Ack, int Window, int Length, long? TsVal, long? TsEcr, uint AbsoluteSeq)
{
    /// <summary>True when a lab filter rule dropped it on arrival (the capture saw it leave; the receiver never processed it).</summary>
    public bool Dropped { get; init; }

    /// <summary>True when the lab itself wrote it through a raw socket, as an attacker or a stray old segment would.</summary>
    public bool Injected { get; init; }

    /// <summary>The other end.</summary>
    public string To => From == "client" ? "server" : "client";

    /// <summary>Whether the flag is set.</summary>
    public bool Has(string flag) => Flags.Split(',').Contains(flag);

    /// <summary>A short label for a diagram arrow: flags, then seq/ack/len where they say something.</summary>
    public string Label => string.Create(CultureInfo.InvariantCulture,
        $"{Flags} seq={Seq}{(Has("ACK") ? $" ack={Ack}" : "")}{(Length > 0 ? $" len={Length}" : "")}{(Dropped ? " (dropped)" : "")}{(Injected ? " (injected)" : "")}");
}

/// <summary>One of the program's own actions, on the capture's clock.</summary>
/// <param name="AtUs">µs since the trace's origin.</param>
/// <param name="Side">"client" or "server".</param>
/// <param name="Kind">"connect", "send", "shutdown", "close", "kill", "inject"….</param>
/// <param name="Label">What the reader sees.</param>
public sealed record TracedAction(double AtUs, string Side, string Kind, string Label);

/// <summary>Records the program's actions on the clock the capture stamps frames with (CLOCK_REALTIME, µs).</summary>
public sealed class ActionLog
{
    private readonly List<(long UnixUs, string Side, string Kind, string Label)> _actions = [];

    /// <summary>The clock: µs since 1970, as the kernel stamps captured frames.</summary>
    public static long NowUnixMicroseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>Records an action now.</summary>
    public void Mark(string side, string kind, string label)
    {
        lock (_actions)
        {
            _actions.Add((NowUnixMicroseconds(), side, kind, label));
        }
    }

    /// <summary>Records an action that happened at a known moment (µs since 1970).</summary>
    public void Add(long unixUs, string side, string kind, string label)
    {
        lock (_actions)
        {
            _actions.Add((unixUs, side, kind, label));
            _actions.Sort((a, b) => a.UnixUs.CompareTo(b.UnixUs));
        }
    }

    /// <summary>Every action, in order.</summary>
    public IReadOnlyList<(long UnixUs, string Side, string Kind, string Label)> Actions
    {
        get
        {
            lock (_actions)
            {
                return _actions.ToArray();
            }
        }
    }
}

/// <summary>What the capture counted, to show it missed nothing.</summary>
/// <param name="Frames">Frames the packet socket delivered (both copies of each segment on lo, every protocol).</param>
/// <param name="Kept">TCP segments kept (one copy each), on every port of the lab.</param>
/// <param name="KernelOutSegs">The namespace's own "Tcp: OutSegs" + "Tcp: RetransSegs" delta over the same stretch (segments its TCP stack sent), or null when not read.</param>
/// <param name="Injected">Segments the lab wrote through a raw socket (the kernel's TCP counters do not see them).</param>
/// <param name="SocketDrops">Frames the packet socket dropped for lack of buffer (PACKET_STATISTICS).</param>
/// <param name="CostMs">Wall time the capture added: opening the socket, and stopping and parsing it.</param>
public sealed record CaptureCount(int Frames, int Kept, long? KernelOutSegs, int Injected, long SocketDrops, double CostMs)
{
    /// <summary>
    /// The kept segments counted the way the kernel's counters count them (<see cref="InKernelUnits"/>), or null when not
    /// computed (then <see cref="Kept"/> is compared).
    /// </summary>
    public long? KeptInKernelUnits { get; init; }

    /// <summary>True when every segment the kernel sent was captured and none was dropped.</summary>
    public bool Complete => SocketDrops == 0 && KernelOutSegs is { } sent && sent == (KeptInKernelUnits ?? Kept) - Injected;

    /// <summary>
    /// "capture complete: yes (7 segments captured: 6 sent by the kernel's TCP + 1 injected through the lab's raw socket, 0 dropped
    /// by the packet socket)" or "no (…)": the line under each capture table, whose first count is the table's row count.
    /// </summary>
    public string Describe()
    {
        // The headline counts every captured segment; an injected one is captured but not in the kernel's OutSegs, so the line
        // splits the captured count into its two sources instead of giving a second, smaller "captured" count.
        var units = KeptInKernelUnits is { } u && u != Kept ? $" ({u} as the kernel counts them, in MSS units)" : "";
        var sent = KernelOutSegs is { } n ? $"{n} sent by the kernel's TCP" : "the kernel's count not read";
        var injected = Injected > 0 ? $" + {Injected} injected through the lab's raw socket" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"capture complete: {(Complete ? "yes" : "no")} ({Kept} segments captured{units}: {sent}{injected}, {SocketDrops} dropped by the packet socket)");
    }

    /// <summary>
    /// The segments counted as Linux's Tcp OutSegs and RetransSegs count them: tcp_skb_pcount, one per MSS of payload. lo does
    /// segmentation offload, so one captured frame can carry what the kernel counts as several segments: a 4096-byte send after
    /// the MSS was clamped to half the peer's largest window (tcp_bound_to_half_wnd) is one frame, two segments.
    /// </summary>
    public static long InKernelUnits(IReadOnlyList<PacketSegment> segments)
    {
        // Per direction: the MSS the receiver announced, its window scale, and the window tcp_sync_mss bounded the MSS with: the
        // receiver's first window after the sender's own SYN (the SYN,ACK for the client; the handshake's last ACK, scaled, for the server).
        var mss = new Dictionary<(string, string), int>();
        var scale = new Dictionary<string, int>();
        var handshakeWindow = new Dictionary<(string, string), long>();
        var awaitingWindow = new HashSet<(string, string)>();
        long units = 0;
        foreach (var s in segments)
        {
            var forward = (s.Source, s.Destination);
            var backward = (s.Destination, s.Source);
            if (s.Has("SYN"))
            {
                scale[s.Source] = s.WindowScale ?? 0;
                mss[backward] = s.MssOption ?? 536;
                awaitingWindow.Add(forward);
            }
            if (awaitingWindow.Remove(backward))
            {
                // A SYN's window is never scaled.
                handshakeWindow[backward] = s.Has("SYN") ? s.Window : (long)s.Window << scale.GetValueOrDefault(s.Source);
            }
            if (s.Length == 0)
            {
                units++;
                continue;
            }
            var options = s.TsVal is null ? 0 : 12;
            var segmentSize = mss.GetValueOrDefault(forward, 65495) - options;
            var largest = handshakeWindow.GetValueOrDefault(forward);
            var cutoff = largest > 536 ? largest / 2 : largest;
            if (cutoff > 0 && segmentSize > cutoff)
            {
                segmentSize = (int)Math.Max(cutoff, 68 - 20 - options);
            }
            units += (s.Length + segmentSize - 1) / segmentSize;
        }
        return units;
    }
}

/// <summary>One connection's segments and the program's actions, on one clock, with the names of its two ends.</summary>
/// <param name="Client">The client's address:port.</param>
/// <param name="Server">The server's address:port.</param>
/// <param name="Segments">The connection's segments in time order.</param>
/// <param name="Actions">The program's actions in time order.</param>
/// <param name="Count">How complete the capture was.</param>
public sealed record PacketTrace(string Client, string Server, IReadOnlyList<TracedSegment> Segments, IReadOnlyList<TracedAction> Actions, CaptureCount Count)
{
    /// <summary>Builds the trace of the connection between two endpoints out of everything captured; origin is the first action (or segment).</summary>
    public static PacketTrace From(string client, string server, IReadOnlyList<PacketSegment> all, ActionLog actions, CaptureCount count,
        Func<IReadOnlyList<PacketSegment>, int, bool>? dropped = null, Func<PacketSegment, bool>? injected = null)
    {
        var mine = all.Where(s => (s.Source == client && s.Destination == server) || (s.Source == server && s.Destination == client)).ToList();
        var acts = actions.Actions;
        var origin = acts.Count > 0 ? acts[0].UnixUs : mine.Count > 0 ? mine[0].UnixMicroseconds : 0;
        var isn = new Dictionary<string, uint>();
        var segments = new List<TracedSegment>();
        for (var i = 0; i < mine.Count; i++)
        {
            var s = mine[i];
            var from = s.Source == client ? "client" : "server";
            var to = from == "client" ? "server" : "client";
            // A SYN starts a new incarnation: its sequence numbers count from there.
            if (s.Has("SYN"))
            {
                isn[from] = s.Seq;
            }
            long Relative(uint value, string end) => isn.TryGetValue(end, out var start) ? (long)(uint)(value - start) : value;
            segments.Add(new TracedSegment(s.UnixMicroseconds - origin, from, s.Flags, Relative(s.Seq, from), s.Has("ACK") ? Relative(s.Ack, to) : 0,
                s.Window, s.Length, s.TsVal, s.TsEcr, s.Seq)
            {
                Dropped = dropped?.Invoke(mine, i) == true,
                Injected = injected?.Invoke(s) == true,
            });
        }
        return new PacketTrace(client, server, segments, acts.Select(a => new TracedAction(a.UnixUs - origin, a.Side, a.Kind, a.Label)).ToList(), count);
    }

    /// <summary>Each segment as a line such as "client>server SYN" or "server>client FIN,PSH,ACK len=4096 dropped", for checks and summaries.</summary>
    public IReadOnlyList<string> Arrows => Segments.Select(s => $"{s.From}>{s.To} {s.Flags}{(s.Length > 0 ? $" len={s.Length}" : "")}{(s.Dropped ? " dropped" : "")}{(s.Injected ? " injected" : "")}").ToList();

    /// <summary>The trace as JSON (what the lab's child prints and results.json keeps).</summary>
    public JsonObject ToJson() => new()
    {
        ["client"] = Client,
        ["server"] = Server,
        ["segments"] = new JsonArray(Segments.Select(s => (JsonNode)new JsonObject
        {
            ["t_us"] = Math.Round(s.AtUs, 1), ["from"] = s.From, ["flags"] = s.Flags, ["seq"] = s.Seq, ["ack"] = s.Ack, ["win"] = s.Window, ["len"] = s.Length,
            ["tsval"] = s.TsVal, ["tsecr"] = s.TsEcr, ["abs_seq"] = s.AbsoluteSeq, ["dropped"] = s.Dropped ? true : null, ["injected"] = s.Injected ? true : null,
        }).ToArray()),
        ["actions"] = new JsonArray(Actions.Select(a => (JsonNode)new JsonObject { ["t_us"] = Math.Round(a.AtUs, 1), ["side"] = a.Side, ["kind"] = a.Kind, ["label"] = a.Label }).ToArray()),
        ["count"] = new JsonObject
        {
            ["frames"] = Count.Frames, ["kept"] = Count.Kept, ["kernel_out_segs"] = Count.KernelOutSegs, ["injected"] = Count.Injected, ["socket_drops"] = Count.SocketDrops, ["kept_kernel_units"] = Count.KeptInKernelUnits, ["cost_ms"] = Math.Round(Count.CostMs, 2),
        },
    };

    /// <summary>Reads a trace back from <see cref="ToJson"/>.</summary>
    public static PacketTrace FromJson(JsonObject json)
    {
        var count = json["count"]!.AsObject();
        return new PacketTrace(
            json["client"]!.GetValue<string>(),
            json["server"]!.GetValue<string>(),
            json["segments"]!.AsArray().Select(n => new TracedSegment(n!["t_us"]!.GetValue<double>(), n["from"]!.GetValue<string>(), n["flags"]!.GetValue<string>(),
                n["seq"]!.GetValue<long>(), n["ack"]!.GetValue<long>(), n["win"]!.GetValue<int>(), n["len"]!.GetValue<int>(),
                n["tsval"]?.GetValue<long>(), n["tsecr"]?.GetValue<long>(), n["abs_seq"]!.GetValue<uint>())
            {
                Dropped = n["dropped"]?.GetValue<bool>() == true,
                Injected = n["injected"]?.GetValue<bool>() == true,
            }).ToList(),
            json["actions"]!.AsArray().Select(n => new TracedAction(n!["t_us"]!.GetValue<double>(), n["side"]!.GetValue<string>(), n["kind"]!.GetValue<string>(), n["label"]!.GetValue<string>())).ToList(),
            new CaptureCount(count["frames"]!.GetValue<int>(), count["kept"]!.GetValue<int>(), count["kernel_out_segs"]?.GetValue<long>(), count["injected"]!.GetValue<int>(), count["socket_drops"]!.GetValue<long>(), count["cost_ms"]!.GetValue<double>())
            {
                KeptInKernelUnits = count["kept_kernel_units"]?.GetValue<long>(),
            });
    }

    /// <summary>
    /// Whether an end's first FIN (dropped or not) acknowledges the peer's FIN, i.e. was sent after the peer's FIN arrived;
    /// false for both ends is the mark of FINs that crossed; null when either end sent no FIN.
    /// </summary>
    /// <param name="from">"client" or "server".</param>
    public bool? FirstFinAcknowledgesPeerFin(string from)
    {
        var mine = Segments.FirstOrDefault(s => s.From == from && s.Has("FIN") && !s.Injected);
        var theirs = Segments.FirstOrDefault(s => s.From != from && s.Has("FIN") && !s.Injected);
        // The peer's FIN occupies the sequence number after its data; acknowledging it means an ack beyond that number.
        return mine is null || theirs is null ? null : mine.Ack > theirs.Seq + theirs.Length;
    }

    /// <summary>The short summary results.json carries per case: the arrows in order, with the capture's completeness.</summary>
    /// <param name="rfc1337">Whether a RST reaching TIME_WAIT was ignored in this run.</param>
    /// <param name="timeWaitSkipped">Whether the kernel counted a TIME_WAIT overflow in this run.</param>
    public JsonObject Summary(bool rfc1337 = false, bool timeWaitSkipped = false) => new()
    {
        ["segments"] = Segments.Count,
        ["arrows"] = new JsonArray(Arrows.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
        ["first_to_last_us"] = Segments.Count > 0 ? Math.Round(Segments[^1].AtUs - Segments[0].AtUs, 1) : null,
        // Beside each arrow, its time: a check can then test a delay (e.g. a retransmission's) and not only an order.
        ["at_ms"] = new JsonArray(Segments.Select(s => (JsonNode)JsonValue.Create(Math.Round(s.AtUs / 1000, 3))).ToArray()),
        ["first_fin_acknowledges_peer_fin"] = new JsonObject
        {
            ["client"] = FirstFinAcknowledgesPeerFin("client"),
            ["server"] = FirstFinAcknowledgesPeerFin("server"),
        },
        ["capture_complete"] = Count.Complete,
        ["capture_count"] = Count.Describe(),
        ["states"] = new JsonObject
        {
            ["client"] = string.Join(" > ", TcpStateMachine.Infer(this, "client", rfc1337, timeWaitSkipped).Select(t => t.State)),
            ["server"] = string.Join(" > ", TcpStateMachine.Infer(this, "server", rfc1337, timeWaitSkipped).Select(t => t.State)),
        },
    };
}
