using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace AddressInUse.Native;

/// <summary>Encodes and decodes sockaddr_in / sockaddr_in6 in the byte layout of a given OS.</summary>
/// <remarks>Linux starts with a 16-bit family; macOS (BSD) starts with a length byte and an 8-bit family.</remarks>
public static class Sockaddr
{
    /// <summary>Size of sockaddr_in on every supported OS.</summary>
    public const int InetSize = 16;

    /// <summary>Size of sockaddr_in6 on every supported OS.</summary>
    public const int Inet6Size = 28;

    /// <summary>Encodes an endpoint as the OS's sockaddr bytes.</summary>
    public static byte[] Encode(IPEndPoint endPoint, NativeConstants os)
    {
        var v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        var bytes = new byte[v6 ? Inet6Size : InetSize];
        var family = v6 ? os.AfInet6 : os.AfInet;
        if (os.SockaddrHasLength)
        {
            bytes[0] = (byte)bytes.Length;
            bytes[1] = (byte)family;
        }
        else
        {
            // sa_family is a host-order 16-bit field; every OS the course runs on is little-endian here,
            // but writing it explicitly in host order keeps big-endian hosts right too.
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)family);
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)family);
            }
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)endPoint.Port);
        if (v6)
        {
            endPoint.Address.GetAddressBytes().CopyTo(bytes, 8);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), (uint)endPoint.Address.ScopeId);
        }
        else
        {
            endPoint.Address.GetAddressBytes().CopyTo(bytes, 4);
        }
        return bytes;
    }

    /// <summary>Decodes the OS's sockaddr bytes into an endpoint.</summary>
    public static IPEndPoint Decode(ReadOnlySpan<byte> bytes, NativeConstants os)
    {
        int family = os.SockaddrHasLength
            ? bytes[1]
            : BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (family == os.AfInet)
        {
            return new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), port);
        }
        if (family == os.AfInet6)
        {
            var scope = BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]);
            return new IPEndPoint(new IPAddress(bytes.Slice(8, 16), scope), port);
        }
        throw new ArgumentException($"sockaddr family {family} is neither AF_INET ({os.AfInet}) nor AF_INET6 ({os.AfInet6}) on {os.Family}.");
    }
}
