namespace AddressInUse.Capture;

/// <summary>The TCP counters of the network namespace this process is in (/proc/net/snmp and /proc/net/netstat are per namespace).</summary>
public static class KernelCounters
{
    /// <summary>Every counter as "Group.Name" ("Tcp.OutSegs", "TcpExt.TCPTimeWaitOverflow"); empty where the files do not exist.</summary>
    public static IReadOnlyDictionary<string, long> Read()
    {
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in new[] { "/proc/net/snmp", "/proc/net/netstat" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            Parse(File.ReadAllLines(file), counters);
        }
        return counters;
    }

    /// <summary>Parses the two-line format of /proc/net/snmp and /proc/net/netstat: a line of names, then a line of values, per group.</summary>
    public static void Parse(IReadOnlyList<string> lines, IDictionary<string, long> into)
    {
        for (var i = 0; i + 1 < lines.Count; i += 2)
        {
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (names.Length != values.Length || names.Length == 0 || names[0] != values[0])
            {
                throw new FormatException($"Unexpected counter lines: '{lines[i]}' / '{lines[i + 1]}'.");
            }
            var group = names[0].TrimEnd(':');
            for (var j = 1; j < names.Length; j++)
            {
                if (long.TryParse(values[j], out var value))
                {
                    into[$"{group}.{names[j]}"] = value;
                }
            }
        }
    }

    /// <summary>One counter's value, or null when this kernel does not have it.</summary>
    public static long? Get(this IReadOnlyDictionary<string, long> counters, string name) => counters.TryGetValue(name, out var v) ? v : null;
}

/// <summary>A capture around one experiment inside the lab: the packet socket, the program's actions, and the kernel's own segment count.</summary>
internal sealed class CaptureSession : IDisposable
{
    private readonly LoopbackCapture? _capture;
    private long? _outSegsBefore;
    private int? _ignoredPort;
    private readonly double _startCostMs;

    private CaptureSession(LoopbackCapture? capture, long? outSegsBefore, double startCostMs)
    {
        _capture = capture;
        _outSegsBefore = outSegsBefore;
        _startCostMs = startCostMs;
    }

    /// <summary>The program's actions, on the capture's clock.</summary>
    public ActionLog Actions { get; } = new();

    /// <summary>Every frame as captured (both copies), once <see cref="Stop"/> ran: the raw bytes that fixtures are made of.</summary>
    public IReadOnlyList<CapturedFrame> Frames { get; private set; } = [];

    /// <summary>Whether the packet socket is open (false in the benchmark's runs without capture).</summary>
    public bool Capturing => _capture is not null;

    /// <summary>Opens the capture (only inside the lab: the namespace's lo carries nothing but the lab's own connections); without <paramref name="capture"/>, only actions and counters are kept.</summary>
    public static CaptureSession Start(bool capture = true)
    {
        if (!Lab.LabChild.InPrivateNamespace)
        {
            throw new InvalidOperationException("The packet capture runs only in the lab's child, inside its own network namespace.");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = SentByTcp(KernelCounters.Read());
        return new CaptureSession(capture ? LoopbackCapture.Start() : null, before, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Starts counting afresh and leaves out every frame to or from <paramref name="port"/>: for a throwaway connection made
    /// after the capture opened (the kernel's frame stamping, turned on when the capture opens, is in force by its end).
    /// </summary>
    public void Rebase(int port)
    {
        _ignoredPort = port;
        _outSegsBefore = SentByTcp(KernelCounters.Read());
    }

    /// <summary>The TCP segments captured so far (while the capture keeps running).</summary>
    public IReadOnlyList<PacketSegment> Peek() => _capture is null ? [] : SegmentParser.Segments(_capture.Frames);

    /// <summary>Stops the capture and parses it: every TCP segment (one copy each) and how complete the capture was.</summary>
    /// <param name="injected">How many segments the lab wrote itself through a raw socket (not counted by the kernel's TCP).</param>
    public (IReadOnlyList<PacketSegment> Segments, CaptureCount Count) Stop(int injected = 0)
    {
        var after = SentByTcp(KernelCounters.Read());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var frames = (_capture?.Stop() ?? []).Where(f => _ignoredPort is not { } port || !TouchesPort(f.Bytes, port)).ToList();
        Frames = frames;
        var segments = SegmentParser.Segments(frames);
        var stats = _capture?.Statistics ?? new CaptureStatistics(0, 0);
        var count = new CaptureCount(frames.Count, segments.Count, after - _outSegsBefore, injected, stats.Dropped, _startCostMs + clock.Elapsed.TotalMilliseconds)
        {
            KeptInKernelUnits = CaptureCount.InKernelUnits(segments),
        };
        return (segments, count);
    }

    // An IPv4 TCP frame's source or destination port (offsets from the IP header's length); other frames never match.
    private static bool TouchesPort(byte[] ip, int port)
    {
        if (ip.Length < 20 || ip[9] != 6)
        {
            return false;
        }
        var tcp = (ip[0] & 0x0f) * 4;
        return ip.Length >= tcp + 4 && ((ip[tcp] << 8 | ip[tcp + 1]) == port || (ip[tcp + 2] << 8 | ip[tcp + 3]) == port);
    }

    // Linux counts first transmissions in Tcp OutSegs and retransmissions apart, in Tcp RetransSegs (tcp_transmit_skb).
    private static long? SentByTcp(IReadOnlyDictionary<string, long> counters) => counters.Get("Tcp.OutSegs") + counters.Get("Tcp.RetransSegs");

    /// <summary>Closes the packet socket if <see cref="Stop"/> was not reached.</summary>
    public void Dispose() => _capture?.Dispose();
}
