using System.Net;

namespace AddressInUse.Experiments;

/// <summary>Checks an experiment's inputs before any socket is opened, with errors that say what to change.</summary>
public static class Guards
{
    /// <summary>Throws unless the port is 0 (let the OS choose) or 1–65535.</summary>
    public static int Port(int port, string parameterName = "port")
    {
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(parameterName, port,
                $"Port {port} is outside 1–65535. Use 0 to let the OS pick a free port, or a number from 1 to 65535.");
        }
        return port;
    }

    /// <summary>Throws unless the address is a loopback address (127.0.0.0/8 or ::1), because experiments never listen beyond this machine.</summary>
    public static IPAddress Loopback(IPAddress address, string parameterName = "address")
    {
        ArgumentNullException.ThrowIfNull(address, parameterName);
        if (!IPAddress.IsLoopback(address))
        {
            throw new ArgumentException(
                $"{address} is not a loopback address. The course's experiments only bind loopback addresses " +
                "(127.0.0.1, anything in 127.0.0.0/8 on Linux, or ::1). Use IPAddress.Loopback.", parameterName);
        }
        return address;
    }

    /// <summary>Parses and checks a loopback address given as text.</summary>
    public static IPAddress Loopback(string address, string parameterName = "address")
    {
        if (!IPAddress.TryParse(address, out var parsed))
        {
            throw new ArgumentException($"'{address}' is not an IP address. Use a loopback address such as 127.0.0.1.", parameterName);
        }
        return Loopback(parsed, parameterName);
    }
}
