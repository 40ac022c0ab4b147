using System.Net;
using PacketDotNet;
using PacketDotNet.Tcp;
using PacketDotNet.Utils;

namespace AddressInUse.Capture;

/// <summary>One TCP segment as captured: absolute numbers, straight from its headers.</summary>
/// <param name="UnixMicroseconds">The kernel's stamp of the frame (µs since 1970).</param>
/// <param name="Source">Sender's address:port.</param>
/// <param name="Destination">Receiver's address:port.</param>
/// <param name="Flags">The flags set, in tcpdump's order and spelling ("SYN", "SYN,ACK", "FIN,ACK", "RST"…).</param>
/// <param name="Seq">The sequence number.</param>
/// <param name="Ack">The acknowledgment number (meaningful only with ACK).</param>
/// <param name="Window">The window field as sent (not scaled).</param>
/// <param name="Length">Payload bytes.</param>
/// <param name="TsVal">The timestamp option's TSval, or null without the option.</param>
/// <param name="TsEcr">The timestamp option's TSecr, or null without the option.</param>
public sealed record PacketSegment(long UnixMicroseconds, string Source, string Destination, string Flags, uint Seq, uint Ack, ushort Window, int Length, uint? TsVal, uint? TsEcr)
{
    /// <summary>Whether the flag (e.g. "FIN") is set.</summary>
    public bool Has(string flag) => Flags.Split(',').Contains(flag);

    /// <summary>The MSS option's value (SYN segments only), or null.</summary>
    public int? MssOption { get; init; }

    /// <summary>The window scale option's shift count (SYN segments only), or null.</summary>
    public int? WindowScale { get; init; }

    /// <summary>The sequence space the segment uses: its payload, plus one each for SYN and FIN.</summary>
    public uint SequenceLength => (uint)Length + (Has("SYN") ? 1u : 0u) + (Has("FIN") ? 1u : 0u);
}

/// <summary>Turns captured frames into TCP segments with PacketDotNet, keeping one copy of each segment lo delivered twice.</summary>
public static class SegmentParser
{
    private static readonly (ushort Bit, string Name)[] FlagNames =
        [(0x02, "SYN"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG")];

    /// <summary>Parses one IPv4 packet; null when it is not TCP.</summary>
    public static PacketSegment? Parse(long unixMicroseconds, byte[] ipPacket)
    {
        if (ipPacket.Length < 20 || ipPacket[0] >> 4 != 4)
        {
            throw new FormatException($"Not an IPv4 packet ({ipPacket.Length} bytes, version {(ipPacket.Length > 0 ? ipPacket[0] >> 4 : 0)}); the capture keeps IPv4 frames only.");
        }
        IPv4Packet ip;
        try
        {
            ip = new IPv4Packet(new ByteArraySegment(ipPacket));
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"Not an IPv4 packet ({ipPacket.Length} bytes): {e.Message}", e);
        }
        if (ip.Extract<TcpPacket>() is not { } tcp)
        {
            return null;
        }
        var flags = string.Join(',', FlagNames.Where(f => (tcp.Flags & f.Bit) != 0).Select(f => f.Name));
        var stamp = tcp.OptionsCollection?.OfType<TimeStampOption>().FirstOrDefault();
        var mss = tcp.OptionsCollection?.OfType<MaximumSegmentSizeOption>().FirstOrDefault();
        var scale = tcp.OptionsCollection?.OfType<WindowScaleFactorOption>().FirstOrDefault();
        return new PacketSegment(
            unixMicroseconds,
            new IPEndPoint(ip.SourceAddress, tcp.SourcePort).ToString(),
            new IPEndPoint(ip.DestinationAddress, tcp.DestinationPort).ToString(),
            flags,
            tcp.SequenceNumber,
            tcp.AcknowledgmentNumber,
            tcp.WindowSize,
            tcp.PayloadData?.Length ?? 0,
            stamp?.Value,
            stamp?.EchoReply)
        {
            MssOption = mss is null ? null : (int)mss.Value,
            WindowScale = scale is null ? null : (int)scale.ScaleFactor,
        };
    }

    /// <summary>
    /// The TCP segments of the frames, one per segment: on lo each appears twice, as sent (PACKET_OUTGOING) and as received
    /// (PACKET_HOST); the copy as received is kept. Its stamp is the moment lo hands it to the receiving end, and it is taken
    /// before IP input and its netfilter hooks, so a segment an input rule then drops is still captured (and marked dropped).
    /// </summary>
    public static IReadOnlyList<PacketSegment> Segments(IEnumerable<CapturedFrame> frames) =>
        frames.Where(f => !f.Outgoing).Select(f => Parse(f.UnixMicroseconds, f.Bytes)).OfType<PacketSegment>().OrderBy(s => s.UnixMicroseconds).ToList();
}
