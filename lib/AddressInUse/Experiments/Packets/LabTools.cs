using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using AddressInUse.Lab;
using PacketDotNet;

namespace AddressInUse.Experiments.Packets;

/// <summary>nftables rules in the lab's namespace that drops one kind of segment on arrival, at most once.</summary>
/// <remarks>Only the lab's child makes one: nft then edits the ruleset of the lab's own namespace, which ends with it.</remarks>
internal sealed partial class DropOnce : IDisposable
{
    private const string Table = "course_lab";
    private bool _removed;

    private DropOnce() { }

    /// <summary>Adds the rule: drop, on input, one bare ACK from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <param name="from">The sender's port.</param>
    /// <param name="to">The receiver's port.</param>
    /// <param name="bytes">The segment's IP length (52 with timestamps, 40 without).</param>
    public static DropOnce BareAck(int from, int to, int bytes) => Create([(from, to, "ack", bytes)]);

    /// <summary>Adds one rule per direction: drop, on input, the first FIN each port sends to the other.</summary>
    public static DropOnce FirstFins(int a, int b, int bytes) => Create([(a, b, "fin", bytes), (b, a, "fin", bytes)]);

    private static DropOnce Create(IReadOnlyList<(int From, int To, string Kind, int Bytes)> rules)
    {
        if (!LabChild.InPrivateNamespace)
        {
            throw new InvalidOperationException("nft rules are added only in the lab's child, inside its own network namespace.");
        }
        Nft("add", "table", "inet", Table);
        Nft("add", "chain", "inet", Table, "input", "{ type filter hook input priority 0; policy accept; }");
        foreach (var (from, to, kind, bytes) in rules)
        {
            string[] match = kind == "ack" ? ["tcp", "flags", "&", "(fin|syn|rst|ack)", "==", "ack"] : ["tcp", "flags", "&", "fin", "==", "fin"];
            // The quota lets the rule match only while less than twice the segment's size has passed it, so it drops exactly
            // one such segment even if the counter is read late; the counter says how many it dropped.
            Nft([.. new[] { "add", "rule", "inet", Table, "input", "ip", "saddr", "127.0.0.1", "tcp", "sport", $"{from}", "tcp", "dport", $"{to}" },
                .. match, "quota", "until", $"{2 * bytes - 1}", "bytes", "counter", "drop"]);
        }
        return new DropOnce();
    }

    /// <summary>How many segments the rules dropped so far (their counters).</summary>
    public int Dropped
    {
        get
        {
            var listing = Nft("list", "table", "inet", Table);
            var matches = CounterPattern().Matches(listing);
            return matches.Count > 0 ? matches.Sum(m => int.Parse(m.Groups[1].Value)) : throw new InvalidOperationException($"No counter in the lab's nft table: {listing}");
        }
    }

    /// <summary>Removes the table (the rule with it).</summary>
    public void Dispose()
    {
        if (!_removed)
        {
            _removed = true;
            Nft("delete", "table", "inet", Table);
        }
    }

    private static string Nft(params string[] arguments)
    {
        var info = new ProcessStartInfo("nft") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("nft is not installed; the lab drops segments with Debian's nftables (apt-get install nftables).");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEnd();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : throw new InvalidOperationException($"nft {string.Join(' ', arguments)} failed in the lab: {errors.Trim()}");
        }
    }

    [GeneratedRegex(@"counter packets (\d+)")]
    private static partial Regex CounterPattern();
}

/// <summary>Writes one TCP segment onto the lab's lo through a raw socket: what an attacker, or a stray old segment, would look like.</summary>
internal static unsafe class RawInjector
{
    private const int AfInet = 2, SockRaw = 3, IpProtoRaw = 255;

    /// <summary>Sends a bare RST from one loopback port to another with the given sequence number; returns the bytes sent.</summary>
    public static byte[] Reset(int fromPort, int toPort, uint seq)
    {
        if (!LabChild.InPrivateNamespace)
        {
            throw new InvalidOperationException("Segments are injected only in the lab's child, inside its own network namespace.");
        }
        var tcp = new TcpPacket((ushort)fromPort, (ushort)toPort) { SequenceNumber = seq, Reset = true, WindowSize = 0 };
        var ip = new IPv4Packet(IPAddress.Loopback, IPAddress.Loopback) { PayloadPacket = tcp, TimeToLive = 64 };
        ip.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        var bytes = ip.Bytes;
        Native.LibC.EnsureResolver();
        // IPPROTO_RAW: the packet carries its own IP header (IP_HDRINCL), so the kernel sends exactly these bytes.
        var fd = socket(AfInet, SockRaw, IpProtoRaw);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket(AF_INET, SOCK_RAW) failed in the lab: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            var address = stackalloc byte[16];
            new Span<byte>(address, 16).Clear();
            *(ushort*)address = AfInet;
            address[4] = 127;
            address[7] = 1;
            fixed (byte* data = bytes)
            {
                if (sendto(fd, data, (nuint)bytes.Length, 0, address, 16) != bytes.Length)
                {
                    throw new InvalidOperationException($"sendto(raw) failed in the lab: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
        finally
        {
            close(fd);
        }
        return bytes;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern nint sendto(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
